import { pagesOf, type Relation } from "../relations/index.js";
import {
  distinctKeyTuples,
  keyText,
  keyTuple,
  type RowFilter,
  type SourceConnector,
  type SourceRow,
  toText,
} from "../sources/index.js";
import { WatermarkTypeError } from "./errors.js";
import { readRelatedRows, recordedJoinTuple } from "./related-rows.js";
import type { SyncStateStore } from "./state.js";
import { laterWatermark, type Watermark, watermarkFilter, watermarkOf } from "./watermark.js";

/** What a scan of the related tables found: where each now stands, and the main-table keys whose documents depend on a change. */
export interface RelatedChanges {
  /** Per relation path, the highest watermark seen: the next sync starts there. */
  watermarks: Record<string, Watermark>;
  /** Main-table key columns (see dependentKeyColumns) → key tuples: the documents to re-render are the rows holding them. */
  dependentKeys: Map<string, unknown[][]>;
  /** Related rows read since their watermarks. */
  changedRows: number;
}

/** Dependent keys are kept per main-table key columns: one column, or a composite foreign key's columns. */
const dependentKeyColumns = (columns: readonly string[]) => JSON.stringify(columns);

/** Adds the main-table keys `tuples` of `columns` to what is to be re-rendered. */
export function addDependentKeys(
  dependentKeys: Map<string, unknown[][]>,
  columns: readonly string[],
  tuples: readonly unknown[][],
): void {
  if (tuples.length === 0) return;
  const name = dependentKeyColumns(columns);
  dependentKeys.set(name, [...(dependentKeys.get(name) ?? []), ...tuples]);
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
      fields: [...new Set([...relation.childKeys, column])],
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
      if (options.collect) {
        await collectDependents(connector, chain, distinctKeyTuples(page, relation.childKeys), found);
      }
    }
    if (watermark) found.watermarks[relation.path] = watermark;
  }
  return found;
}

/** Walks values of a chain's last key up to the main table: each step asks the table above which of its rows hold them. */
async function collectDependents(
  connector: SourceConnector,
  chain: Relation[],
  keys: unknown[][],
  found: RelatedChanges,
): Promise<void> {
  const values = await keysUpChain(connector, chain, keys);
  addDependentKeys(found.dependentKeys, (chain[0] as Relation).parentKeys, values);
}

/**
 * Keys (tuples) of a chain's last `childKeys` → the keys of its first `parentKeys` in the main table
 * that lead to them, one query per step: `products.id` → `order_lines.order_id` → `orders.id`.
 */
export async function keysUpChain(
  connector: SourceConnector,
  chain: Relation[],
  keys: unknown[][],
): Promise<unknown[][]> {
  let values = keys;
  for (let step = chain.length - 1; step > 0 && values.length > 0; step--) {
    const child = chain[step] as Relation;
    const parent = chain[step - 1] as Relation;
    const rows = await connector.related({
      table: parent.table,
      fields: parent.childKeys,
      keyFields: child.parentKeys,
      keys: values,
    });
    values = distinctKeyTuples(rows, parent.childKeys);
  }
  return values;
}

/**
 * The main table's rows holding the dependent keys, read through the ordinary row filter (`in`,
 * values bound; one per column of a composite key, its cross pairs dropped here), a thousand keys
 * at a time; the caller skips rows it has already read this run.
 */
export async function* dependentRows(
  connector: SourceConnector,
  request: {
    table: string;
    fields: readonly string[];
    filters: readonly RowFilter[];
    signal?: AbortSignal | undefined;
  },
  dependentKeys: Map<string, unknown[][]>,
): AsyncIterable<SourceRow> {
  for (const [name, tuples] of dependentKeys) {
    const columns = JSON.parse(name) as string[];
    const unique = [...new Map(tuples.map((tuple) => [keyText(tuple), tuple])).values()];
    for (let start = 0; start < unique.length; start += 1_000) {
      const slice = unique.slice(start, start + 1_000);
      const wanted = new Set(slice.map((tuple) => keyText(tuple)));
      // Driver values (an ObjectId on MongoDB) go as they are, so they match what the rows hold.
      const filters = columns.map((column, index) => ({
        column,
        op: "in" as const,
        value: [...new Map(slice.map((tuple) => [toText(tuple[index]), tuple[index]])).values()] as RowFilter["value"],
      }));
      for await (const row of connector.stream({
        table: request.table,
        fields: request.fields,
        filters: [...request.filters, ...filters],
        batchSize: 1_000,
        ...(request.signal ? { signal: request.signal } : {}),
      })) {
        if (columns.length === 1 || wanted.has(keyText(keyTuple(row, columns) ?? []))) yield row;
      }
    }
  }
}

/**
 * Related rows deleted since the last sync, found by comparing each related table's keys now with
 * those recorded then (the same full key scan the table's own delete detection makes), and with
 * `collect`, the main-table keys of their dependents. Each relation's key set is recorded anew.
 * Relations whose table has no primary key are skipped (the audit still finds their dependents).
 */
export async function scanRelatedDeletes(
  connector: SourceConnector,
  relations: readonly Relation[],
  state: SyncStateStore,
  where: { source: string; table: string },
  options: { collect: boolean; pageSize: number; signal?: AbortSignal | undefined },
): Promise<{ dependentKeys: Map<string, unknown[][]>; deletedRows: number; record(): Promise<void> }> {
  const dependentKeys = new Map<string, unknown[][]>();
  const seen: [string, Map<string, string>][] = [];
  let deletedRows = 0;
  for (const chain of chains(relations)) {
    const relation = chain.at(-1) as Relation;
    const primaryKey = relation.primaryKey;
    if (primaryKey.length === 0) continue;
    const current = await readRelatedRows(connector, relation, options);
    const previous = await state.relatedRows(where.source, where.table, relation.path);
    const gone = [...previous]
      .filter(([rowKey]) => !current.has(rowKey))
      .flatMap(([, joinValue]) => {
        const tuple = recordedJoinTuple(relation, joinValue);
        return tuple ? [tuple] : [];
      });
    deletedRows += gone.length;
    if (options.collect && gone.length > 0) {
      const keys = await keysUpChain(connector, chain, gone);
      addDependentKeys(dependentKeys, (chain[0] as Relation).parentKeys, keys);
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
