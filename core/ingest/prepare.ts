import type { Embedder } from "../embeddings/index.js";
import { type ChunkOptions, chunkText, type DocumentShape, rowToDocument, type SourceRow } from "../sources/index.js";
import type { VectorRecord } from "../vectors/index.js";

/** A document's text and metadata, chunked to the model's window, ready to embed. */
export type PreparedChunk = Omit<VectorRecord, "embedding">;

/**
 * One row → its chunks (usually one). Chunks of a long row get ids `id#0`, `id#1`, …
 * and carry `chunk` and `chunks` in metadata so a reader can reassemble them.
 */
export async function prepareRow(
  row: SourceRow,
  shape: DocumentShape,
  embedder: Pick<Embedder, "countTokens">,
  chunking: ChunkOptions,
): Promise<PreparedChunk[]> {
  const document = rowToDocument(row, shape);
  if (!document.text) return [];
  const pieces = await chunkText(document.text, (texts) => embedder.countTokens(texts), chunking);
  if (pieces.length === 1) return [{ id: document.id, document: document.text, metadata: document.metadata }];
  return pieces.map((piece, index) => ({
    id: `${document.id}#${index}`,
    document: piece,
    metadata: { ...document.metadata, chunk: index, chunks: pieces.length },
  }));
}
