import type { Relation } from "../relations/index.js";
import {
  keyText,
  keyTuple,
  readPath,
  type SourceConnector,
  type SourceRow,
  toMetadataValue,
} from "../sources/index.js";

/**
 * How a related row is recorded between runs (sync's delete scan, CDC's key → join map): its key as
 * text → the join value its dependents hold, as JSON of the scalars, so a number comes back a number
 * (a MongoDB key must match by type); a single join value as itself, as recorded before composite
 * keys were followed. Undefined for a row without a whole key.
 */
export function relatedRowEntry(relation: Relation, row: SourceRow): [string, string] | undefined {
  const key = keyTuple(row, relation.primaryKey);
  if (!key) return undefined;
  const join = relation.childKeys.map((field) => toMetadataValue(readPath(row, field)) ?? null);
  return [keyText(key), JSON.stringify(join.length === 1 ? join[0] : join)];
}

/** A recorded join value back as a tuple of the relation's join columns; undefined when any is null. */
export function recordedJoinTuple(relation: Relation, recorded: string): unknown[] | undefined {
  const parsed = JSON.parse(recorded) as unknown;
  const tuple = Array.isArray(parsed) && relation.childKeys.length > 1 ? parsed : [parsed];
  return tuple.every((value) => value !== null) ? tuple : undefined;
}

/**
 * A relation whose table joins its dependents on columns other than its primary key (an order line
 * joins its order on `order_id`): a delete event's key alone cannot say which document rendered it.
 */
export const joinsOffKey = (relation: Relation) =>
  relation.primaryKey.length > 0 && relation.childKeys.some((column) => !relation.primaryKey.includes(column));

/** Every row of a relation's table, recorded as above: one stream of its key and join columns. */
export async function readRelatedRows(
  connector: SourceConnector,
  relation: Relation,
  options: { pageSize: number; signal?: AbortSignal | undefined },
): Promise<Map<string, string>> {
  const rows = new Map<string, string>();
  for await (const row of connector.stream({
    table: relation.table,
    fields: [...new Set([...relation.primaryKey, ...relation.childKeys])],
    batchSize: options.pageSize,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    const entry = relatedRowEntry(relation, row);
    if (entry) rows.set(...entry);
  }
  return rows;
}
