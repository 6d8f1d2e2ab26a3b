import type { Settings } from "../config/index.js";
import { InvalidInputError } from "../errors/index.js";
import type { RowFilter, SourceRow } from "../sources/index.js";
import { rowKey } from "../sources/index.js";
// The vanished-row sweep and page reconciliation sync itself uses (core/sync's index exports only whole-table runs).
import { removeVanishedRows } from "../sync/deletes.js";
import { type SyncDependencies, stateStore } from "../sync/index.js";
import { applyPlan, planPage } from "../sync/reconcile.js";
import { documentsOf } from "../sync/sync.js";
import type { SyncTarget } from "../sync/target.js";
import type { RowChange } from "./events.js";
import { sourceOfTopicPrefix } from "./names.js";
import { applyDependents } from "./related.js";
import type { CdcResources } from "./resources.js";
import { type CdcCounts, CdcStateStore } from "./state.js";
import { cachedTarget } from "./targets.js";

export type CdcApplyDependencies = SyncDependencies & {
  settings: SyncDependencies["settings"] & Pick<Settings, "KAFKA_TOPIC_PREFIX">;
  cdc: CdcResources;
};

export interface TableOutcome {
  source: string;
  table: string;
  counts: CdcCounts;
}

const opCount: Record<RowChange["op"], keyof CdcCounts | undefined> = {
  c: "created",
  u: "updated",
  d: "deleted",
  r: "snapshot_reads",
  t: "truncates",
  m: undefined,
};

/**
 * Makes the store match the rows a batch of change events names. An event is read as "this row
 * changed": the row's current state is read from the source by key, so documents are exactly
 * what ingestion and sync build (same types, same content hash), and a replayed or reordered
 * event converges on the same store instead of undoing a later change. Rows gone from the
 * source (deleted, or out of the table's filters now) lose every chunk; text changes are
 * embedded again; metadata-only changes are rewritten without embedding (core/sync's planner).
 * @example await applyRowChanges(context, [toRowChange(event, record.key)])
 */
export async function applyRowChanges(
  dependencies: CdcApplyDependencies,
  changes: readonly RowChange[],
): Promise<TableOutcome[]> {
  const groups = new Map<string, RowChange[]>();
  for (const change of changes) {
    const key = JSON.stringify([change.origin, change.schema, change.table]);
    groups.set(key, [...(groups.get(key) ?? []), change]);
  }
  const outcomes: TableOutcome[] = [];
  for (const group of groups.values()) outcomes.push(await applyTable(dependencies, group));
  return outcomes;
}

async function applyTable(dependencies: CdcApplyDependencies, changes: readonly RowChange[]): Promise<TableOutcome> {
  const first = changes[0] as RowChange;
  const source = sourceOfTopicPrefix(first.origin, dependencies.settings);
  if (!source)
    throw new InvalidInputError(`change event from '${first.origin}', which is no CDC source of this deployment`);
  const table = first.table;
  const cdcState = new CdcStateStore(dependencies.redis, { prefix: dependencies.settings.REDIS_KEY_PREFIX });
  // Tables whose documents render this one's rows (captured because they include it).
  const including = (await cdcState.registration(source))?.related?.[table] ?? [];
  const counts: CdcCounts = {
    events: changes.length,
    created: 0,
    updated: 0,
    deleted: 0,
    snapshot_reads: 0,
    truncates: 0,
    reembedded: 0,
    metadata_only: 0,
    removed: 0,
    unchanged: 0,
  };
  for (const change of changes) {
    const name = opCount[change.op];
    if (name) counts[name]++;
  }
  if (including.length === 0 || (await stateStore(dependencies).get(source, table))) {
    await applyOwnRows(dependencies, await cachedTarget(dependencies, source, table), changes, counts);
  }
  for (const main of including) {
    const applied = await applyDependents(dependencies, await cachedTarget(dependencies, source, main), table, changes);
    counts.reembedded += applied.reembedded;
    counts.metadata_only += applied.metadata_only;
    counts.unchanged += applied.unchanged;
  }

  const lsns = changes.flatMap((change) => (change.lsn === undefined ? [] : [change.lsn]));
  const commits = changes.flatMap((change) => (change.commitMs === undefined ? [] : [change.commitMs]));
  await cdcState.record(source, table, counts, {
    lsn: lsns.length ? Math.max(...lsns) : undefined,
    commitMs: commits.length ? Math.max(...commits) : undefined,
  });
  return { source, table, counts };
}

/** The table's own changed rows, read back by key and reconciled with the store. */
async function applyOwnRows(
  dependencies: CdcApplyDependencies,
  target: SyncTarget,
  changes: readonly RowChange[],
  counts: CdcCounts,
): Promise<void> {
  const { shape } = target;
  const { source, table } = shape;
  // A truncate has no key, so it lands on any partition and can be applied before or after the
  // inserts that followed it: dropping every vector of the table could drop those rows. Removing
  // what is gone from the source now is right in either order, like any other event.
  let truncated = 0;
  if (changes.some((change) => change.op === "t")) {
    const scratch = await stateStore(dependencies).scratch(dependencies.settings.SYNC_LOCK_SECONDS);
    try {
      truncated = (
        await removeVanishedRows(dependencies.vectors, target, scratch, {
          pageSize: dependencies.settings.SYNC_PAGE_SIZE,
        })
      ).extraRows;
    } finally {
      await scratch.drop().catch(() => undefined);
    }
  }

  const keyed = new Map<string, Record<string, unknown>>();
  for (const change of changes) {
    if (change.op === "t" || change.op === "m") continue;
    keyed.set(rowKey(change.key, shape), change.key);
  }
  const rows = await readRows(target, [...keyed.values()]);
  // Related rows come with them, so a changed order keeps its customer's lines.
  const page = await documentsOf(target, rows);
  const found = new Set(page.map((entry) => String(entry.document.metadata.row_key)));
  const gone = [...keyed.keys()].filter((key) => !found.has(key));

  const plan = await planPage(dependencies.vectors, source, page);
  const chunking = {
    maxTokens: dependencies.settings.CHUNK_MAX_TOKENS,
    overlapTokens: dependencies.settings.CHUNK_OVERLAP_TOKENS,
  };
  const applied = await applyPlan(dependencies, shape, plan, chunking);
  if (gone.length > 0) await dependencies.vectors.deleteRows(source, table, gone);
  counts.reembedded = applied.embeddedRows;
  counts.metadata_only = applied.metadataRows;
  counts.removed = applied.deletedRows + gone.length + truncated;
  counts.unchanged = plan.unchanged + plan.skipped;
}

const scalar = (value: unknown): string | number | boolean =>
  typeof value === "number" || typeof value === "boolean" || typeof value === "string" ? value : String(value);

/** The current rows for a set of keys, read with the table's filters (one query per 1,000 keys of a one-column key). */
async function readRows(target: SyncTarget, keys: readonly Record<string, unknown>[]): Promise<SourceRow[]> {
  const { connector, selection, shape, readFields } = target;
  const primaryKey = selection.primaryKey;
  const lookups: RowFilter[][] = [];
  if (primaryKey.length === 1) {
    const column = primaryKey[0] as string;
    for (let start = 0; start < keys.length; start += 1_000) {
      const values = keys.slice(start, start + 1_000).map((key) => scalar(key[column]));
      lookups.push([{ column, op: "in", value: values }]);
    }
  } else {
    for (const key of keys)
      lookups.push(primaryKey.map((column) => ({ column, op: "eq", value: scalar(key[column]) })));
  }
  const rows: SourceRow[] = [];
  for (const lookup of lookups) {
    for await (const row of connector.stream({
      table: shape.table,
      fields: readFields,
      filters: [...selection.filters, ...lookup],
      batchSize: 1_000,
    })) {
      rows.push(row);
    }
  }
  return rows;
}
