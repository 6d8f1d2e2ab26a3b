import { distinctKeys, pagesOf, type Relation } from "../relations/index.js";
import {
  type RowFilter,
  readPath,
  type SourceConnector,
  type SourceRow,
  toMetadataValue,
  toText,
} from "../sources/index.js";
import { WatermarkTypeError } from "./errors.js";
import type { SyncStateStore } from "./state.js";
import { laterWatermark, type Watermark, watermarkFilter, watermarkOf } from "./watermark.js";

/** What a scan of the related tables found: where each now stands, and the main-table keys whose documents depend on a change. */
export interface RelatedChanges {
  /** Per relation path, the highest watermark seen: the next sync starts there. */
  watermarks: Record<string, Watermark>;
  /** Main-table column → values: the documents to re-render are the rows holding them. */
  dependentKeys: Map<string, unknown[]>;
  /** Related rows read since their watermarks. */
  changedRows: number;
}

/** Each relation with the chain of relations that leads to it from the main table. */
export function relationChains(relations: readonly Relation[]): Relation[][] {
  return chains(relations);
}

function chains(relations: readonly Relation[], above: Relation[] = []): Relation[][] {
  return relations.flatMap((relation) => [[...above, relation], ...chains(relation.children, [...above, relation])]);
}

/** Every relation can say what changed in its table (a watermark column), so changes can be read, not guessed. */
export const everyRelationWatermarked = (relations: readonly Relation[]) =>
  chains(relations).every((chain) => chain.at(-1)?.watermarkColumn !== undefined);

/**
 * Reads each related table's rows changed since its watermark (every row's watermark when there is
 * none yet) and, with `collect`, walks each changed row up its chain to the main-table keys that
 * depend on it: `customers` → `orders.customer_id`; `products` → `order_lines.product_id` →
 * `orders.id`. One query per chain step per page of changed rows, keys bound as one parameter.
 */
export async function scanRelatedChanges(
  connector: SourceConnector,
  relations: readonly Relation[],
  since: Record<string, Watermark>,
  options: { collect: boolean; pageSize: number; signal?: AbortSignal | undefined },
): Promise<RelatedChanges> {
  const found: RelatedChanges = { watermarks: {}, dependentKeys: new Map(), changedRows: 0 };
  for (const chain of chains(relations)) {
    const relation = chain.at(-1) as Relation;
    const column = relation.watermarkColumn;
    if (!column) continue;
    const from = since[relation.path];
    const filters: RowFilter[] = from ? [watermarkFilter(column, from)] : [];
    let watermark = from;
    const rows = connector.stream({
      table: relation.table,
      fields: [...new Set([relation.childKey, column])],
      filters,
      batchSize: options.pageSize,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const page of pagesOf(rows, options.pageSize)) {
      for (const row of page) {
        const value = row[column];
        if (value === null || value === undefined) continue;
        const mark = watermarkOf(value);
        if (!mark) throw new WatermarkTypeError(connector.name, relation.table, column);
        watermark = laterWatermark(watermark, mark);
      }
      found.changedRows += page.length;
      if (options.collect) await collectDependents(connector, chain, distinctKeys(page, relation.childKey), found);
    }
    if (watermark) found.watermarks[relation.path] = watermark;
  }
  return found;
}

/** Walks values of a chain's last key up to the main table: each step asks the table above which of its rows hold them. */
async function collectDependents(
  connector: SourceConnector,
  chain: Relation[],
  keys: unknown[],
  found: RelatedChanges,
): Promise<void> {
  const values = await keysUpChain(connector, chain, keys);
  const top = chain[0] as Relation;
  if (values.length === 0) return;
  found.dependentKeys.set(top.parentKey, [...(found.dependentKeys.get(top.parentKey) ?? []), ...values]);
}

/**
 * Values of a chain's last `childKey` → the values of its first `parentKey` in the main table
 * that lead to them, one query per step: `products.id` → `order_lines.order_id` → `orders.id`.
 */
export async function keysUpChain(connector: SourceConnector, chain: Relation[], keys: unknown[]): Promise<unknown[]> {
  let values = keys;
  for (let step = chain.length - 1; step > 0 && values.length > 0; step--) {
    const child = chain[step] as Relation;
    const parent = chain[step - 1] as Relation;
    const rows = await connector.related({
      table: parent.table,
      fields: [parent.childKey],
      keyField: child.parentKey,
      keys: values,
    });
    values = distinctKeys(rows, parent.childKey);
  }
  return values;
}

/**
 * The main table's rows holding the dependent keys, read through the ordinary row filter (`in`,
 * values bound), a thousand keys at a time; the caller skips rows it has already read this run.
 */
export async function* dependentRows(
  connector: SourceConnector,
  request: {
    table: string;
    fields: readonly string[];
    filters: readonly RowFilter[];
    signal?: AbortSignal | undefined;
  },
  dependentKeys: Map<string, unknown[]>,
): AsyncIterable<SourceRow> {
  for (const [column, values] of dependentKeys) {
    const unique = [...new Map(values.map((value) => [toText(value), value])).values()];
    for (let start = 0; start < unique.length; start += 1_000) {
      // Driver values (an ObjectId on MongoDB) go as they are, so they match what the rows hold.
      const value = unique.slice(start, start + 1_000) as RowFilter["value"];
      yield* connector.stream({
        table: request.table,
        fields: request.fields,
        filters: [...request.filters, { column, op: "in", value }],
        batchSize: 1_000,
        ...(request.signal ? { signal: request.signal } : {}),
      });
    }
  }
}

/**
 * Related rows deleted since the last sync, found by comparing each related table's keys now with
 * those recorded then (the same full key scan the table's own delete detection makes), and with
 * `collect`, the main-table keys of their dependents. Each relation's key set is recorded anew.
 * Relations whose table has no single-column key are skipped (the audit still finds their dependents).
 */
export async function scanRelatedDeletes(
  connector: SourceConnector,
  relations: readonly Relation[],
  state: SyncStateStore,
  where: { source: string; table: string },
  options: { collect: boolean; pageSize: number; signal?: AbortSignal | undefined },
): Promise<{ dependentKeys: Map<string, unknown[]>; deletedRows: number; record(): Promise<void> }> {
  const dependentKeys = new Map<string, unknown[]>();
  const seen: [string, Map<string, string>][] = [];
  let deletedRows = 0;
  for (const chain of chains(relations)) {
    const relation = chain.at(-1) as Relation;
    const key = relation.primaryKey.length === 1 ? (relation.primaryKey[0] as string) : undefined;
    if (!key) continue;
    const current = new Map<string, string>();
    for await (const row of connector.stream({
      table: relation.table,
      fields: [...new Set([key, relation.childKey])],
      batchSize: options.pageSize,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      // JSON of the scalar, so a number comes back a number (a MongoDB key must match by type).
      current.set(
        toText(readPath(row, key)),
        JSON.stringify(toMetadataValue(readPath(row, relation.childKey)) ?? null),
      );
    }
    const previous = await state.relatedRows(where.source, where.table, relation.path);
    const gone = [...previous]
      .filter(([rowKey]) => !current.has(rowKey))
      .map(([, joinValue]) => JSON.parse(joinValue) as unknown)
      .filter((value) => value !== null);
    deletedRows += gone.length;
    if (options.collect && gone.length > 0) {
      const top = chain[0] as Relation;
      const keys = await keysUpChain(connector, chain, gone);
      if (keys.length) dependentKeys.set(top.parentKey, [...(dependentKeys.get(top.parentKey) ?? []), ...keys]);
    }
    seen.push([relation.path, current]);
  }
  return {
    dependentKeys,
    deletedRows,
    // Recorded once the run has re-rendered the dependents, so a failed run finds the deletions again.
    record: async () => {
      for (const [path, rows] of seen) await state.replaceRelatedRows(where.source, where.table, path, rows);
    },
  };
}
