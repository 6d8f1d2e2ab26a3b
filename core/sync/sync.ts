import { flattenRelations, loadRelated } from "../relations/index.js";
import { readPath, rowToDocument, type SourceRow } from "../sources/index.js";
import { removeVanishedRows } from "./deletes.js";
import { dependentRows, everyRelationWatermarked, scanRelatedChanges, scanRelatedDeletes } from "./dependents.js";
import { SyncInProgressError, SyncSpecMissingError, SyncTooLargeError, WatermarkTypeError } from "./errors.js";
import { applyPlan, type PageRow, planPage } from "./reconcile.js";
import { mergeSpec, type SyncSpec, type SyncSpecChanges, sameSpec } from "./spec.js";
import type { SyncState } from "./state.js";
import { documentId, resolveTarget, type SyncDependencies, type SyncTarget, stateStore } from "./target.js";
import { laterWatermark, type Watermark, watermarkFilter, watermarkOf } from "./watermark.js";

export interface SyncRequest {
  source: string;
  table: string;
  /** Changes to the recorded spec (text fields, fields, filters, watermark column); remembered. */
  spec?: SyncSpecChanges | undefined;
  /** Sweep the store for rows gone from the source (default true). */
  detectDeletes?: boolean | undefined;
  /** The queued request's id, recorded with the run. */
  syncId?: string | undefined;
}

export interface SyncSummary {
  source: string;
  table: string;
  /** Rows read since the watermark (every row without one); rows at the watermark itself come again. */
  changed: number;
  /** Rows embedded: new, or their text changed. */
  reembedded: number;
  /** Rows whose metadata alone changed: rewritten without embedding. */
  metadata_only: number;
  /** Rows read again because a related row they render changed since its watermark. */
  dependents: number;
  /** Related rows changed since their watermarks, or deleted since the last sync. */
  related_changed: number;
  /** Rows read whose stored documents were already right. */
  unchanged: number;
  /** Rows removed from the store: gone from the source, or left without text. */
  deleted: number;
  /** Where the next sync starts; null without a watermark column. */
  watermark: string | number | null;
  /** Whether every row was read (no watermark yet, or none declared). */
  full_scan: boolean;
  duration_ms: number;
}

export interface SyncOptions {
  signal?: AbortSignal | undefined;
  /** Most changed rows one call takes (default SYNC_INGEST_MAX_ROWS); the Kafka worker has none. */
  limit?: number;
  /** How long to wait for a running sync of the table (default: not at all). */
  waitMs?: number;
}

/**
 * Brings the store in line with a table: reads rows changed since the watermark, embeds only
 * rows whose text hash changed, rewrites metadata alone where only it changed, and removes the
 * vectors of rows gone from the source. Holds the table's lock, so two instances never race.
 * @example await syncTable(context, { source: "shop", table: "products", spec: { watermark_column: "updated_at" } })
 */
export async function syncTable(
  dependencies: SyncDependencies,
  request: SyncRequest,
  options: SyncOptions = {},
): Promise<SyncSummary> {
  const started = performance.now();
  const { settings, vectors } = dependencies;
  const state = stateStore(dependencies);
  const connector = dependencies.sources.get(request.source);
  const recorded = await state.get(connector.name, request.table);
  const spec = requireSpec(connector.name, request.table, recorded, request.spec);
  const target = await resolveTarget(dependencies, connector.name, request.table, spec);
  const lock = await state.lock(connector.name, request.table, {
    ttlSeconds: settings.SYNC_LOCK_SECONDS,
    waitMs: options.waitMs ?? 0,
  });
  if (!lock) throw new SyncInProgressError(connector.name, request.table);
  try {
    const column = spec.watermark_column;
    // Another spec makes other documents of every row, so the watermark says nothing about them.
    const unchangedSpec = recorded !== undefined && sameSpec(recorded.spec, spec);
    const relatedSince = unchangedSpec ? recorded.related_watermarks : {};
    // A related table that cannot say what changed (no watermark column, or none recorded yet)
    // leaves only the hashes: every row is read and re-rendered, and only changed text is embedded.
    const relationsIncremental =
      everyRelationWatermarked(target.relations) &&
      flattenRelations(target.relations).every((relation) => relatedSince[relation.path] !== undefined);
    const since = column && unchangedSpec && relationsIncremental ? (recorded.watermark ?? undefined) : undefined;
    const filters = [...target.selection.filters, ...(column && since ? [watermarkFilter(column, since)] : [])];
    // Counting first proves the filters work on the source, so a bad one is refused, not remembered.
    const toRead = await connector.count(request.table, filters);
    if (!recorded || !sameSpec(recorded.spec, spec)) {
      await state.saveSpec(connector.name, request.table, spec, target.selection.primaryKey);
    }
    const limit = options.limit ?? settings.SYNC_INGEST_MAX_ROWS;
    if (toRead > limit) throw new SyncTooLargeError(toRead, limit);

    const chunking = { maxTokens: settings.CHUNK_MAX_TOKENS, overlapTokens: settings.CHUNK_OVERLAP_TOKENS };
    const counts = {
      changed: 0,
      dependents: 0,
      related_changed: 0,
      reembedded: 0,
      metadata_only: 0,
      unchanged: 0,
      deleted: 0,
    };
    // Read before the table itself: a related row changed while this run goes on is newer than
    // the watermarks taken here, so the next run reads it.
    const related =
      target.relations.length > 0 && everyRelationWatermarked(target.relations)
        ? await scanRelatedChanges(connector, target.relations, relatedSince, {
            collect: since !== undefined,
            pageSize: settings.SYNC_PAGE_SIZE,
            signal: options.signal,
          })
        : undefined;
    // Deletions leave no newer watermark: the related tables' keys are compared with the last run's.
    const deletes =
      related && (request.detectDeletes ?? true)
        ? await scanRelatedDeletes(
            connector,
            target.relations,
            state,
            { source: connector.name, table: request.table },
            { collect: since !== undefined, pageSize: settings.SYNC_PAGE_SIZE, signal: options.signal },
          )
        : undefined;
    for (const [column, values] of deletes?.dependentKeys ?? []) {
      related?.dependentKeys.set(column, [...(related.dependentKeys.get(column) ?? []), ...values]);
    }
    counts.related_changed = (related?.changedRows ?? 0) + (deletes?.deletedRows ?? 0);
    const seen = new Set<string>();
    const tracking = (related?.dependentKeys.size ?? 0) > 0;
    let watermark: Watermark | undefined = since;
    let rows: SourceRow[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      const page = await documentsOf(target, rows);
      rows = [];
      const plan = await planPage(vectors, target.shape.source, page);
      const applied = await applyPlan(dependencies, target.shape, plan, chunking);
      counts.reembedded += applied.embeddedRows;
      counts.metadata_only += applied.metadataRows;
      counts.deleted += applied.deletedRows;
      counts.unchanged += plan.unchanged;
      await lock.extend();
    };
    for await (const row of connector.stream({
      table: request.table,
      fields: target.readFields,
      filters,
      batchSize: 1_000,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      counts.changed++;
      if (column) watermark = laterWatermark(watermark, rowWatermark(connector.name, request.table, column, row));
      if (tracking) seen.add(documentId(target.shape, row));
      rows.push(row);
      if (rows.length >= settings.SYNC_PAGE_SIZE) await flush();
    }
    if (related && tracking) {
      const request = { table: target.shape.table, fields: target.readFields, filters: target.selection.filters };
      for await (const row of dependentRows(connector, { ...request, signal: options.signal }, related.dependentKeys)) {
        const id = documentId(target.shape, row);
        if (seen.has(id)) continue;
        seen.add(id);
        counts.dependents++;
        rows.push(row);
        if (rows.length >= settings.SYNC_PAGE_SIZE) await flush();
      }
    }
    await flush();

    if (request.detectDeletes ?? true) {
      const scratch = await state.scratch(settings.SYNC_LOCK_SECONDS);
      try {
        const swept = await removeVanishedRows(vectors, target, scratch, {
          pageSize: settings.SYNC_PAGE_SIZE,
          signal: options.signal,
          onPage: () => lock.extend(),
        });
        counts.deleted += swept.extraRows;
      } finally {
        await scratch.drop().catch(() => undefined);
      }
    }
    // A cancelled run stopped reading part-way: its watermark must not be recorded.
    options.signal?.throwIfAborted();
    await deletes?.record();

    const summary: SyncSummary = {
      source: connector.name,
      table: request.table,
      ...counts,
      watermark: watermark?.value ?? null,
      full_scan: !since,
      duration_ms: Math.round(performance.now() - started),
    };
    await state.recordRun(connector.name, request.table, {
      spec,
      watermark,
      relatedWatermarks: related?.watermarks,
      result: summary,
      syncId: request.syncId,
    });
    return summary;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await state.recordError(connector.name, request.table, message, request.syncId).catch(() => undefined);
    throw error;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** A page of rows as documents, their related rows fetched first (one query per relation for the page). */
export async function documentsOf(target: SyncTarget, rows: SourceRow[]): Promise<PageRow[]> {
  await loadRelated(target.connector, target.relations, rows);
  return rows.map((row) => ({ row, document: rowToDocument(row, target.shape) }));
}

/** The spec a run uses: the recorded one with the request's changes; a 400 when there is none. */
export function requireSpec(
  source: string,
  table: string,
  recorded: SyncState | undefined,
  changes: SyncSpecChanges | undefined,
): SyncSpec {
  const spec = mergeSpec(recorded?.spec, changes);
  if (!spec) throw new SyncSpecMissingError(source, table);
  return spec;
}

function rowWatermark(source: string, table: string, column: string, row: Record<string, unknown>) {
  const value = readPath(row, column);
  if (value === null || value === undefined) return undefined;
  const watermark = watermarkOf(value);
  if (!watermark) throw new WatermarkTypeError(source, table, column);
  return watermark;
}
