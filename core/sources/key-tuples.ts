import type { RelatedRequest, SourceRow } from "./types.js";
import { readPath, toText } from "./values.js";

/**
 * A row's values of a (possibly composite) key, as the driver gave them, or undefined when any is
 * null or missing: a composite foreign key matches only whole, as PostgreSQL's MATCH SIMPLE does.
 */
export function keyTuple(row: SourceRow, fields: readonly string[]): unknown[] | undefined {
  const values = fields.map((field) => readPath(row, field));
  return values.some((value) => value === null || value === undefined || value === "") ? undefined : values;
}

/** The text a key compares by: one value's own text (as single-column keys always did), or each value's text in JSON. */
export function keyText(values: readonly unknown[]): string {
  return values.length === 1 ? toText(values[0]) : JSON.stringify(values.map((value) => toText(value)));
}

/** The distinct keys of some rows, as tuples of driver values (an ObjectId stays one), incomplete ones left out. */
export function distinctKeyTuples(rows: readonly SourceRow[], fields: readonly string[]): unknown[][] {
  const keys = new Map<string, unknown[]>();
  for (const row of rows) {
    const values = keyTuple(row, fields);
    if (values) keys.set(keyText(values), values);
  }
  return [...keys.values()];
}

/**
 * The rows whose key is one of the request's, exactly. A composite key is looked up one column at a
 * time (`a = ANY($1) AND b = ANY($2)`, so each column's index and type serve it), which also finds
 * the cross pairs; this drops them.
 */
export function exactKeyMatches(rows: SourceRow[], request: Pick<RelatedRequest, "keyFields" | "keys">): SourceRow[] {
  if (request.keyFields.length < 2) return rows;
  const wanted = new Set(request.keys.map((key) => keyText(key)));
  return rows.filter((row) => {
    const values = keyTuple(row, request.keyFields);
    return values !== undefined && wanted.has(keyText(values));
  });
}

/** Each column's distinct values across the key tuples, for the per-column lookup above. */
export function keyColumnValues(keys: readonly (readonly unknown[])[], width: number): unknown[][] {
  return Array.from({ length: width }, (_, index) => [
    ...new Map(keys.map((key) => [toText(key[index]), key[index]])).values(),
  ]);
}
