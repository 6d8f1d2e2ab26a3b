import type { KeywordIndex } from "../keyword/index.js";
import type { VectorStore } from "../vectors/index.js";

export interface KeywordDrift {
  /** Vector ids the keyword index lacks. */
  missing: { count: number; sample: string[] };
  /** Keyword rows with no vector behind them. */
  extra: { count: number; sample: string[] };
  /** Ids in both whose content hash differs. */
  stale: { count: number; sample: string[] };
  /** Keyword rows written or deleted by a repair; null without one. */
  repaired: { indexed: number; deleted: number } | null;
}

const sampled = (size: number) => {
  const drift = { count: 0, sample: [] as string[] };
  return {
    drift,
    add(ids: readonly string[]) {
      drift.count += ids.length;
      for (const id of ids) if (drift.sample.length < size) drift.sample.push(id);
    },
  };
};

/**
 * Compares a table's keyword rows with its vectors, id and content hash, after the source side has
 * been reconciled: the vector store is the reference, since every write reaches it first. With
 * `repair`, missing and stale rows are indexed again from the stored documents and extra rows deleted.
 */
export async function auditKeywordIndex(
  stores: { vectors: VectorStore; keywords: KeywordIndex },
  target: { source: string; table: string },
  options: { pageSize: number; sampleSize: number; repair: boolean; onPage?: () => Promise<void> },
): Promise<KeywordDrift> {
  const { vectors, keywords } = stores;
  const missing = sampled(options.sampleSize);
  const extra = sampled(options.sampleSize);
  const stale = sampled(options.sampleSize);
  let indexed = 0;
  let deleted = 0;

  const cursor = vectors.tableCursor(target.source, target.table, options.pageSize);
  for (let page = await cursor.next(); page.length > 0; page = await cursor.next()) {
    const hashes = await keywords.hashes(
      target.source,
      page.map((record) => record.id),
    );
    const absent = page.filter((record) => !hashes.has(record.id)).map((record) => record.id);
    const differing = page
      .filter((record) => hashes.has(record.id) && hashes.get(record.id) !== stringOrNull(record.metadata.content_hash))
      .map((record) => record.id);
    missing.add(absent);
    stale.add(differing);
    if (options.repair && absent.length + differing.length > 0) {
      const records = await vectors.getRecords(target.source, [...absent, ...differing]);
      await keywords.upsert(target.source, records);
      indexed += records.length;
    }
    await options.onPage?.();
  }

  for (let afterId: string | undefined; ; ) {
    const ids = await keywords.pageIds(target.source, target.table, {
      limit: options.pageSize,
      ...(afterId === undefined ? {} : { afterId }),
    });
    if (ids.length === 0) break;
    const stored = new Set((await vectors.getMetadata(target.source, ids)).map((record) => record.id));
    const orphans = ids.filter((id) => !stored.has(id));
    extra.add(orphans);
    if (options.repair && orphans.length > 0) {
      await keywords.deleteIds(target.source, orphans);
      deleted += orphans.length;
    }
    await options.onPage?.();
    afterId = ids.at(-1);
    if (ids.length < options.pageSize) break;
  }

  return {
    missing: missing.drift,
    extra: extra.drift,
    stale: stale.drift,
    repaired: options.repair ? { indexed, deleted } : null,
  };
}

const stringOrNull = (value: unknown) => (value === undefined || value === null ? null : String(value));
