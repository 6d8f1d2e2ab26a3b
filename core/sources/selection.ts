import { ReservedFieldsError, UnknownFieldsError } from "./errors.js";
import type { RowFilter } from "./filters.js";
import { isReservedMetadataKey } from "./reserved.js";
import type { TableSchema } from "./types.js";

export interface SelectionRequest {
  /** Columns or fields to read; empty or absent means every column. */
  fields?: readonly string[] | undefined;
  textFields: readonly string[];
  filters?: readonly RowFilter[] | undefined;
}

export interface Selection {
  /** What the connector reads: the fields, the text fields and the key. */
  readFields: string[];
  textFields: string[];
  metadataFields: string[];
  primaryKey: string[];
  filters: RowFilter[];
}

/**
 * Checks every name a request uses against the introspected schema, so nothing unknown ever
 * reaches a query, and works out what to read. Unknown names are one 400 naming all of them.
 */
export function resolveSelection(source: string, schema: TableSchema, request: SelectionRequest): Selection {
  const known = new Set(schema.columns.map((column) => column.name));
  const fields = request.fields?.length ? [...request.fields] : schema.columns.map((column) => column.name);
  const filters = [...(request.filters ?? [])];
  const named = [...fields, ...request.textFields, ...filters.map((filter) => filter.column)];
  const unknown = [...new Set(named.filter((name) => !known.has(name)))];
  if (unknown.length > 0) throw new UnknownFieldsError(source, schema.name, unknown);
  // Asked for by name, a reserved one is refused; in the default "every column", it is left out of
  // metadata (it can still be embedded): either way the service's own value is never overwritten.
  const reserved = [...new Set((request.fields ?? []).filter(isReservedMetadataKey))];
  if (reserved.length > 0) throw new ReservedFieldsError(source, schema.name, reserved);
  const textFields = [...new Set(request.textFields)];
  const readFields = [...new Set([...fields, ...textFields, ...schema.primaryKey])];
  // Fields asked for by name stay metadata even when also embedded (citations show them); with no
  // list, every column that is not embedded text is metadata. Nested paths are read through their
  // parent when both are asked for (withoutCoveredPaths), and the leaf is still kept as metadata.
  const metadataFields = (
    request.fields?.length
      ? [...new Set([...fields, ...schema.primaryKey])]
      : readFields.filter((field) => !textFields.includes(field))
  ).filter((field) => !isReservedMetadataKey(field));
  return {
    readFields: withoutCoveredPaths(readFields),
    textFields,
    metadataFields,
    primaryKey: [...schema.primaryKey],
    filters,
  };
}

/** MongoDB refuses a projection naming both `a` and `a.b`; reading `a` covers `a.b`. */
function withoutCoveredPaths(fields: string[]): string[] {
  return fields.filter((field) => !fields.some((other) => other !== field && field.startsWith(`${other}.`)));
}
