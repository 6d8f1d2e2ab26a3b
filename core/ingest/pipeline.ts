import type { Settings } from "../config/index.js";
import type { Embedder } from "../embeddings/index.js";
import { metrics } from "../metrics/index.js";
import { type IncludeSpec, loadRelated, pagesOf, resolveRelations, withRelationKeys } from "../relations/index.js";
import {
  type RowFilter,
  resolveSelection,
  type SourceAccess,
  type SourceReference,
  withConnector,
} from "../sources/index.js";
import type { VectorStore } from "../vectors/index.js";
import { IngestTooLargeError } from "./errors.js";
import { type PreparedChunk, prepareRow } from "./prepare.js";

export interface IngestRequest extends SourceReference {
  table: string;
  fields?: readonly string[] | undefined;
  textFields: readonly string[];
  filters?: readonly RowFilter[] | undefined;
  maxRows?: number | undefined;
  /** Related tables rendered into each document (docs/relations.md). */
  include?: readonly IncludeSpec[] | undefined;
}

/** Rows read before their related rows are fetched: one query per relation per this many rows. */
export const relatedPageSize = 1_000;

export interface IngestSummary {
  source: string;
  table: string;
  /** Rows turned into documents. */
  documents: number;
  /** Vectors written (a long document is several chunks). */
  chunks: number;
  /** Rows with no text in any text field. */
  skipped: number;
  failed: number;
  duration_ms: number;
}

export interface IngestProgress {
  /** Rows the source holds for this request (counted up front). */
  totalRows: number;
  rowsRead: number;
  chunksStored: number;
}

export interface IngestDependencies extends SourceAccess {
  embedder: Embedder;
  vectors: VectorStore;
  settings: SourceAccess["settings"] &
    Pick<
      Settings,
      | "EMBEDDING_BATCH_SIZE"
      | "CHUNK_MAX_TOKENS"
      | "CHUNK_OVERLAP_TOKENS"
      | "SYNC_INGEST_MAX_ROWS"
      | "INCLUDE_MAX_DEPTH"
      | "INCLUDE_MAX_RELATED_ROWS"
    >;
}

/**
 * Reads a table, embeds and stores it, with reading, embedding and writing overlapped: while one
 * batch is embedded the previous one is being written and the next one read. At most two batches
 * wait, so memory stays bounded whatever the table's size. Ids are deterministic, so running it
 * again replaces the same vectors.
 * @example await ingestTable(context, { source: "shop", table: "products", textFields: ["title", "description"] })
 */
export async function ingestTable(
  dependencies: IngestDependencies,
  request: IngestRequest,
  options: { onProgress?: (progress: IngestProgress) => void; signal?: AbortSignal; limit?: number } = {},
): Promise<IngestSummary> {
  const started = performance.now();
  const { settings, embedder, vectors } = dependencies;
  return withConnector(dependencies, request, async (connector) => {
    const schema = await connector.describe(request.table);
    const selection = resolveSelection(connector.name, schema, request);
    const relations = await resolveRelations(connector, schema, request.include, settings);
    const limit = options.limit ?? settings.SYNC_INGEST_MAX_ROWS;
    const rows = await connector.count(request.table, selection.filters);
    const toRead = request.maxRows === undefined ? rows : Math.min(rows, request.maxRows);
    if (toRead > limit) throw new IngestTooLargeError(toRead, limit);

    const shape = { source: connector.name, table: request.table, ...withRelationKeys(selection, relations) };
    const chunking = { maxTokens: settings.CHUNK_MAX_TOKENS, overlapTokens: settings.CHUNK_OVERLAP_TOKENS };
    const summary = { documents: 0, chunks: 0, skipped: 0, failed: 0 };
    const progress: IngestProgress = { totalRows: toRead, rowsRead: 0, chunksStored: 0 };
    // Each batch is given to the embedder at once (it decides how many calls run together: worker
    // sessions start on the next batch while the last texts of one finish) and written after the
    // previous write. Reading goes on meanwhile; at most two batches are in flight.
    let lastWrite: Promise<unknown> = Promise.resolve();
    const inFlight: Promise<unknown>[] = [];
    let batch: PreparedChunk[] = [];

    const flush = async () => {
      if (batch.length === 0) return;
      const current = batch;
      batch = [];
      const embedded = embedder.embed(current.map((chunk) => chunk.document));
      const written = Promise.all([embedded, lastWrite]).then(async ([embeddings]) => {
        await vectors.upsert(
          connector.name,
          current.map((chunk, index) => ({ ...chunk, embedding: embeddings[index] ?? [] })),
        );
        summary.chunks += current.length;
        progress.chunksStored += current.length;
        metrics.ingestDocuments.inc({ source: connector.name, mode: "sync", outcome: "processed" }, current.length);
        options.onProgress?.(progress);
      });
      lastWrite = written;
      // A failure surfaces when this batch is awaited below, not as an unhandled rejection.
      written.catch(() =>
        metrics.ingestDocuments.inc({ source: connector.name, mode: "sync", outcome: "failed" }, current.length),
      );
      inFlight.push(written);
      while (inFlight.length >= 2) await inFlight.shift();
    };

    const rowsRead = connector.stream({
      table: request.table,
      fields: shape.readFields,
      filters: selection.filters,
      maxRows: request.maxRows,
      batchSize: relatedPageSize,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const page of pagesOf(rowsRead, relatedPageSize)) {
      await loadRelated(connector, relations, page);
      for (const row of page) {
        progress.rowsRead++;
        const chunks = await prepareRow(row, shape, embedder, chunking);
        if (chunks.length === 0) summary.skipped++;
        else summary.documents++;
        batch.push(...chunks);
        if (batch.length >= settings.EMBEDDING_BATCH_SIZE * 4) await flush();
      }
    }
    await flush();
    for (const pending of inFlight) await pending;
    return {
      source: connector.name,
      table: request.table,
      ...summary,
      duration_ms: Math.round(performance.now() - started),
    };
  });
}
