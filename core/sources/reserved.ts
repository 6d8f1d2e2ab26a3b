/** The metadata key under which the vector store keeps a chunk's text (core/vectors/stored-text.ts). */
export const textMetadataKey = "chunk_text";

/**
 * Metadata keys the service writes on every stored chunk: which row it came from, its text's hash,
 * its place among the row's chunks, its text. A row's own column of the same name cannot be metadata too.
 */
export const reservedMetadataKeys = [
  "source",
  "table",
  "row_key",
  "content_hash",
  "chunk",
  "chunks",
  textMetadataKey,
] as const;

const reserved = new Set<string>(reservedMetadataKeys);

export const isReservedMetadataKey = (name: string): boolean => reserved.has(name);
