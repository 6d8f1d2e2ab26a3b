import type { Embedder } from "../embeddings/index.js";
import { type PreparedChunk, prepareRow } from "../ingest/index.js";
import type { ChunkOptions, DocumentShape, MetadataValue, SourceDocument, SourceRow } from "../sources/index.js";
import type { VectorRecord, VectorStore } from "../vectors/index.js";
import { readStored, type StoredRow, sameMetadata } from "./stored.js";

export interface PageRow {
  row: SourceRow;
  document: SourceDocument;
}

/** How one page of source rows differs from the store. */
export interface PagePlan {
  /** Rows with text and nothing stored. */
  missing: PageRow[];
  /** Rows whose text changed (or whose chunks are mixed): embedded again. */
  changedText: PageRow[];
  /** The same text under other metadata: rewritten without embedding. */
  metadataOnly: { entry: PageRow; stored: StoredRow }[];
  /** Rows with no text left whose vectors are still stored. */
  emptied: PageRow[];
  unchanged: number;
  /** Rows with no text and nothing stored. */
  skipped: number;
}

/** Compares a page of rows with what the store holds for them, in one store round trip. */
export async function planPage(vectors: VectorStore, source: string, entries: readonly PageRow[]): Promise<PagePlan> {
  // The same id twice in a page (identical rows of a keyless table) would be one write.
  const unique = [...new Map(entries.map((entry) => [entry.document.id, entry])).values()];
  const stored = await readStored(
    vectors,
    source,
    unique.map((entry) => entry.document.id),
  );
  const plan: PagePlan = { missing: [], changedText: [], metadataOnly: [], emptied: [], unchanged: 0, skipped: 0 };
  for (const entry of unique) {
    const current = stored.get(entry.document.id);
    if (!entry.document.text) {
      if (current) plan.emptied.push(entry);
      else plan.skipped++;
    } else if (!current) plan.missing.push(entry);
    else if (current.contentHash !== entry.document.contentHash || current.mixed) plan.changedText.push(entry);
    else if (!sameMetadata(current.metadata, entry.document.metadata))
      plan.metadataOnly.push({ entry, stored: current });
    else plan.unchanged++;
  }
  return plan;
}

export interface ApplyDependencies {
  embedder: Embedder;
  vectors: VectorStore;
}

export interface ApplyResult {
  embeddedRows: number;
  embeddedChunks: number;
  metadataRows: number;
  deletedRows: number;
}

/**
 * Makes the store match a planned page. Rewritten rows lose every stored vector first (found by
 * `row_key`, so chunks 3–5 of a row that now has 2 go too), then get their new ones. Metadata-only
 * rows keep their vectors: Chroma's update merges keys, so a row that lost a key is deleted and
 * re-added with its stored vectors instead.
 */
export async function applyPlan(
  dependencies: ApplyDependencies,
  shape: DocumentShape,
  plan: PagePlan,
  chunking: ChunkOptions,
): Promise<ApplyResult> {
  const { embedder, vectors } = dependencies;
  const rewrite = [...plan.missing, ...plan.changedText];
  const chunks: PreparedChunk[] = [];
  for (const entry of rewrite) chunks.push(...(await prepareRow(entry.row, shape, embedder, chunking)));
  const embeddings = await embedder.embed(chunks.map((chunk) => chunk.document));
  const records: VectorRecord[] = chunks.map((chunk, index) => ({ ...chunk, embedding: embeddings[index] ?? [] }));

  const lostKeys = (item: PagePlan["metadataOnly"][number]) =>
    Object.keys(item.stored.metadata).some((key) => !(key in item.entry.document.metadata));
  const readd = plan.metadataOnly.filter(lostKeys);
  const update = plan.metadataOnly.filter((item) => !lostKeys(item));
  if (readd.length > 0) {
    const old = new Map(
      (
        await vectors.getRecords(
          shape.source,
          readd.flatMap((item) => item.stored.ids),
        )
      ).map((record) => [record.id, record]),
    );
    for (const { entry, stored } of readd) {
      for (const id of stored.ids) {
        const record = old.get(id);
        if (!record) continue;
        const { chunk, chunks: total } = record.metadata;
        const chunkFields: Record<string, MetadataValue> =
          chunk === undefined ? {} : { chunk, chunks: total ?? stored.ids.length };
        records.push({ ...record, metadata: { ...entry.document.metadata, ...chunkFields } });
      }
    }
  }

  const rowKeys = [...rewrite, ...plan.emptied, ...readd.map((item) => item.entry)].map((entry) =>
    String(entry.document.metadata.row_key),
  );
  await vectors.deleteRows(shape.source, shape.table, rowKeys);
  await vectors.upsert(shape.source, records);
  // Merging keeps each chunk's own `chunk` and `chunks`, so the row's metadata is enough.
  await vectors.updateMetadata(
    shape.source,
    update.flatMap(({ entry, stored }) => stored.ids.map((id) => ({ id, metadata: entry.document.metadata }))),
  );
  return {
    embeddedRows: rewrite.length,
    embeddedChunks: chunks.length,
    metadataRows: plan.metadataOnly.length,
    deletedRows: plan.emptied.length,
  };
}
