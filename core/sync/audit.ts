import type { SourceRow } from "../sources/index.js";
import type { StoredMetadata } from "../vectors/index.js";
import { sweepStore } from "./deletes.js";
import { SyncInProgressError } from "./errors.js";
import { auditKeywordIndex, type KeywordDrift } from "./keyword-audit.js";
import { applyPlan, planPage } from "./reconcile.js";
import type { ScratchMap, SyncLock } from "./state.js";
import { documentsOf, requireSpec } from "./sync.js";
import { resolveTarget, type SyncDependencies, type SyncTarget, stateStore, storedRowId } from "./target.js";

export interface AuditRequest {
  source: string;
  table: string;
  /** Fix what is found, in the same pass: embed missing and stale rows, delete extra ids. */
  repair?: boolean;
  /** Ids listed per kind (default AUDIT_SAMPLE_SIZE). */
  sampleSize?: number;
}

export interface Drift {
  count: number;
  /** The first ids found, at most the sample size. */
  sample: string[];
}

export interface AuditReport {
  source: string;
  table: string;
  /** Rows with text in the source: what the store should hold. */
  source_rows: number;
  /** The table's vectors the store held when its side was walked. */
  stored_ids: number;
  /** Rows with no vectors (document ids). */
  missing: Drift;
  /** Vector ids whose row is gone, has no text, or left behind by an older version of the row. */
  extra: Drift;
  /** Rows whose stored text or metadata differs from the source (document ids). */
  stale: Drift;
  repaired: { reembedded: number; metadata_only: number; deleted: number } | null;
  /** The keyword index against the vectors (after any repair above); null when it is not configured. */
  keyword_index: KeywordDrift | null;
  duration_ms: number;
}

class Sample {
  count = 0;
  readonly ids: string[] = [];
  constructor(private readonly size: number) {}
  add(ids: readonly string[]) {
    this.count += ids.length;
    for (const id of ids) if (this.ids.length < this.size) this.ids.push(id);
  }
  toJSON(): Drift {
    return { count: this.count, sample: this.ids };
  }
}

const shortHash = (hash: unknown) => String(hash ?? "").slice(0, 16);

/**
 * Compares a table's rows with the store by content hash and metadata, id by id, and reports
 * what is missing, extra and stale; with `repair`, fixes exactly those as it goes. Two passes,
 * one page in memory at a time: the source's rows (each page checked against the store by id),
 * then the store's records (each page checked against the source's ids and hashes, which the
 * first pass left in a Redis scratch map).
 * @example await auditTable(context, { source: "shop", table: "products", repair: true })
 */
export async function auditTable(dependencies: SyncDependencies, request: AuditRequest): Promise<AuditReport> {
  const started = performance.now();
  const { settings } = dependencies;
  const state = stateStore(dependencies);
  const connector = dependencies.sources.get(request.source);
  const recorded = await state.get(connector.name, request.table);
  const spec = requireSpec(connector.name, request.table, recorded, undefined);
  const target = await resolveTarget(dependencies, connector.name, request.table, spec);
  const repair = request.repair ?? false;
  const lock = repair
    ? await state.lock(connector.name, request.table, { ttlSeconds: settings.SYNC_LOCK_SECONDS })
    : undefined;
  if (repair && !lock) throw new SyncInProgressError(connector.name, request.table);
  const expected = await state.scratch(settings.SYNC_LOCK_SECONDS);
  const staleRows = await state.scratch(settings.SYNC_LOCK_SECONDS);
  try {
    const size = request.sampleSize ?? settings.AUDIT_SAMPLE_SIZE;
    const drift = { missing: new Sample(size), extra: new Sample(size), stale: new Sample(size) };
    const repaired = { reembedded: 0, metadata_only: 0, deleted: 0 };
    const sourceRows = await checkSourceSide(dependencies, target, { expected, staleRows, lock, drift, repaired });
    const swept = await sweepStore(
      dependencies.vectors,
      target,
      { pageSize: settings.SYNC_PAGE_SIZE, remove: repair, ...(lock ? { onPage: () => lock.extend() } : {}) },
      async (records) => {
        const extra = await extraRecords(target, records, expected, repair ? undefined : staleRows);
        drift.extra.add(extra.map((record) => record.id));
        return extra;
      },
    );
    if (repair) repaired.deleted = swept.extraIds;
    const keywords = dependencies.keywords
      ? await auditKeywordIndex(
          { vectors: dependencies.vectors, keywords: dependencies.keywords },
          { source: connector.name, table: request.table },
          {
            pageSize: settings.SYNC_PAGE_SIZE,
            sampleSize: size,
            repair,
            ...(lock ? { onPage: () => lock.extend() } : {}),
          },
        )
      : null;
    return {
      source: connector.name,
      table: request.table,
      source_rows: sourceRows,
      stored_ids: swept.seen,
      missing: drift.missing.toJSON(),
      extra: drift.extra.toJSON(),
      stale: drift.stale.toJSON(),
      repaired: repair ? repaired : null,
      keyword_index: keywords,
      duration_ms: Math.round(performance.now() - started),
    };
  } finally {
    await Promise.allSettled([expected.drop(), staleRows.drop(), lock?.release()]);
  }
}

/** Pass one: every row with text, page by page, against the store; returns how many rows have text. */
async function checkSourceSide(
  dependencies: SyncDependencies,
  target: SyncTarget,
  work: {
    expected: ScratchMap;
    staleRows: ScratchMap;
    lock: SyncLock | undefined;
    drift: Record<"missing" | "stale", Sample>;
    repaired: { reembedded: number; metadata_only: number };
  },
): Promise<number> {
  const { settings, vectors } = dependencies;
  const chunking = { maxTokens: settings.CHUNK_MAX_TOKENS, overlapTokens: settings.CHUNK_OVERLAP_TOKENS };
  let rows = 0;
  let page: SourceRow[] = [];
  const flush = async () => {
    // Rows without text should have no vectors: the store pass finds any they left as extra.
    const withText = (await documentsOf(target, page)).filter((entry) => entry.document.text);
    page = [];
    if (withText.length === 0) return;
    rows += withText.length;
    await work.expected.set(withText.map((entry) => [entry.document.id, shortHash(entry.document.contentHash)]));
    const plan = await planPage(vectors, target.shape.source, withText);
    const stale = [...plan.changedText, ...plan.metadataOnly.map((item) => item.entry)].map(
      (entry) => entry.document.id,
    );
    work.drift.missing.add(plan.missing.map((entry) => entry.document.id));
    work.drift.stale.add(stale);
    if (work.lock) {
      const applied = await applyPlan(dependencies, target.shape, plan, chunking);
      work.repaired.reembedded += applied.embeddedRows;
      work.repaired.metadata_only += applied.metadataRows;
      await work.lock.extend();
    } else {
      await work.staleRows.set(stale.map((id) => [id, "1"]));
    }
  };
  for await (const row of target.connector.stream({
    table: target.shape.table,
    fields: target.selection.readFields,
    filters: target.selection.filters,
    batchSize: 1_000,
  })) {
    page.push(row);
    if (page.length >= settings.SYNC_PAGE_SIZE) await flush();
  }
  await flush();
  return rows;
}

/**
 * Pass two's judgement of a page of stored records: extra when the row is not in the source (or
 * has no text), or when the record's hash differs from the row's and the row was not already
 * counted stale (after a repair nothing is stale, so such a record is debris of an older version).
 */
async function extraRecords(
  target: SyncTarget,
  records: StoredMetadata[],
  expected: ScratchMap,
  staleRows: ScratchMap | undefined,
): Promise<StoredMetadata[]> {
  const rowIds = records.map((record) => storedRowId(target.shape.source, target.shape.table, record));
  const [hashes, stale] = await Promise.all([expected.get(rowIds), staleRows ? staleRows.get(rowIds) : []]);
  return records.filter((record, index) => {
    const hash = hashes[index];
    if (hash === null || hash === undefined) return true;
    return shortHash(record.metadata.content_hash) !== hash && !stale[index];
  });
}
