import type { MetadataFilters } from "../vectors/index.js";
import { pgJson, pgText } from "./pg-text.js";

export type KeywordFilters = MetadataFilters;

/**
 * The SQL condition for the same filters the vector store applies: `source` picks rows by column,
 * every other field is metadata equality (`@>`, served by the jsonb GIN index) or `$in`. Values
 * and field names are bound parameters appended to `params`; nothing from the request is spliced.
 */
export function whereClause(filters: KeywordFilters | undefined, params: unknown[]): string | undefined {
  if (!filters) return undefined;
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const clauses: string[] = [];
  for (const [key, value] of Object.entries(filters)) {
    if (key === "source") {
      const sources = (typeof value === "object" ? value.$in.map(String) : [String(value)]).map(pgText);
      clauses.push(`k.source = any(${bind(sources)}::text[])`);
    } else if (typeof value === "object") {
      const values = value.$in.map((item) => JSON.stringify(typeof item === "string" ? pgText(item) : item));
      clauses.push(`k.metadata -> ${bind(pgText(key))}::text = any(${bind(values)}::jsonb[])`);
    } else {
      clauses.push(`k.metadata @> ${bind(pgJson({ [key]: value }))}::jsonb`);
    }
  }
  return clauses.length ? clauses.join(" and ") : undefined;
}
