import type { StoredMetadata, VectorStore } from "../vectors/index.js";
import type { ScratchMap } from "./state.js";
import { documentId, type SyncTarget, storedRowId } from "./target.js";

export interface SweepResult {
  /** Records the sweep looked at. */
  seen: number;
  /** Records judged extra (deleted when removing). */
  extraIds: number;
  /** Distinct rows those records belonged to. */
  extraRows: number;
}

/**
 * Walks a table's stored records page by page and hands each page to `judge`, which names the
 * ids that should not be there; with `remove`, they are deleted at once (the cursor then moves its
 * offset back by as many). One page in memory.
 */
export async function sweepStore(
  vectors: VectorStore,
  target: Pick<SyncTarget, "shape">,
  options: { pageSize: number; remove: boolean; onPage?: () => Promise<void> },
  judge: (page: StoredMetadata[]) => Promise<StoredMetadata[]>,
): Promise<SweepResult> {
  const { source, table } = target.shape;
  const result: SweepResult = { seen: 0, extraIds: 0, extraRows: 0 };
  const cursor = vectors.tableCursor(source, table, options.pageSize);
  for (let page = await cursor.next(); page.length > 0; page = await cursor.next()) {
    result.seen += page.length;
    const extra = await judge(page);
    result.extraIds += extra.length;
    result.extraRows += new Set(extra.map((record) => storedRowId(source, table, record))).size;
    if (options.remove && extra.length > 0) {
      await vectors.deleteIds(
        source,
        extra.map((record) => record.id),
      );
      cursor.removed(extra.length);
    }
    await options.onPage?.();
  }
  return result;
}

/**
 * Removes the vectors of rows that left the source: the source's keys go into a Redis scratch
 * map page by page (only key columns are read), then the store's records of the table are swept
 * against it. Works the same on every source, FerretDB included (no change streams needed);
 * this process holds one page at a time, Redis holds the keys until the sweep ends.
 */
export async function removeVanishedRows(
  vectors: VectorStore,
  target: SyncTarget,
  scratch: ScratchMap,
  options: { pageSize: number; signal?: AbortSignal | undefined; onPage?: () => Promise<void> },
): Promise<SweepResult> {
  const { connector, shape, selection } = target;
  let page: (readonly [string, string])[] = [];
  for await (const row of connector.stream({
    table: shape.table,
    fields: target.keyFields,
    filters: selection.filters,
    batchSize: 1_000,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    page.push([documentId(shape, row), "1"]);
    if (page.length >= options.pageSize) {
      await scratch.set(page);
      page = [];
    }
  }
  await scratch.set(page);
  const sweep = { pageSize: options.pageSize, remove: true, ...(options.onPage ? { onPage: options.onPage } : {}) };
  return sweepStore(vectors, target, sweep, async (records) => {
    const present = await scratch.get(records.map((record) => storedRowId(shape.source, shape.table, record)));
    return records.filter((_, index) => present[index] === null);
  });
}
