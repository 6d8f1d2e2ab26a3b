import type { Relation } from "../relations/index.js";
import { keyText, keyTuple } from "../sources/index.js";
import { readRelatedRows, relatedRowEntry, stateStore } from "../sync/index.js";
import type { SyncTarget } from "../sync/target.js";
import type { CdcApplyDependencies } from "./apply.js";
import type { RowChange } from "./events.js";

/**
 * What the key → join map (recorded by enabling CDC and by each sync, see core/sync/related-rows.ts)
 * says about the changed rows of a table joined off its key, and how the batch moves it: a delete
 * event holds only the key unless the table has REPLICA IDENTITY FULL, and an update's event never
 * holds the old join value, so the map is what finds the order a deleted line, or a line moved to
 * another order, used to render.
 */
export interface RecordedRows {
  /** Join values recorded before this batch, by key text (every recorded row after a truncate). */
  before: Map<string, string>;
  /** The batch holds a truncate: every recorded row's document is re-rendered, and the map read afresh. */
  truncated: boolean;
  /** The rows this batch writes, and deletes, in the map's form. */
  written: Map<string, string>;
  deleted: Set<string>;
  save(): Promise<void>;
}

export async function recordedRows(
  dependencies: CdcApplyDependencies,
  target: SyncTarget,
  relation: Relation,
  changes: readonly RowChange[],
): Promise<RecordedRows> {
  const state = stateStore(dependencies);
  const where = { source: target.shape.source, table: target.shape.table };
  const keyOf = (change: RowChange) => {
    const key = keyTuple(change.key, relation.primaryKey);
    return key ? keyText(key) : undefined;
  };
  const keys = [...new Set(changes.flatMap((change) => keyOf(change) ?? []))];
  const truncated = changes.some((change) => change.op === "t");
  const before = truncated
    ? await state.relatedRows(where.source, where.table, relation.path)
    : await state.relatedJoins(where.source, where.table, relation.path, keys);
  const written = new Map<string, string>();
  const deleted = new Set<string>();
  for (const change of changes) {
    const key = keyOf(change);
    if (key === undefined || change.op === "t" || change.op === "m") continue;
    const entry = change.op === "d" ? undefined : relatedRowEntry(relation, { ...change.key, ...change.image });
    if (entry) {
      written.set(key, entry[1]);
      deleted.delete(key);
    } else if (change.op === "d") {
      deleted.add(key);
      written.delete(key);
    }
  }
  return {
    before,
    truncated,
    written,
    deleted,
    // A truncate has no key and may be applied before or after the inserts that followed it (see
    // apply.ts), so the map is not emptied but read again from the table, right in either order.
    save: async () =>
      truncated
        ? state.replaceRelatedRows(
            where.source,
            where.table,
            relation.path,
            await readRelatedRows(target.connector, relation, { pageSize: dependencies.settings.SYNC_PAGE_SIZE }),
          )
        : state.updateRelatedRows(where.source, where.table, relation.path, { written, deleted: [...deleted] }),
  };
}
