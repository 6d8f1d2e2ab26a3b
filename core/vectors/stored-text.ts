import { textMetadataKey } from "../sources/reserved.js";

type StoredValues = Record<string, string | number | boolean>;

/**
 * A record's text goes to Chroma as a metadata value, not as its document. Chroma indexes every
 * document in a trigram full-text index, which this service never asks (its keyword search is
 * PostgreSQL's), and that index was a third of the CPU Chroma spent per record written: 0.88–0.98
 * ms with the text as document, 0.55–0.65 ms with it as metadata (5,120 records in upserts of 128,
 * three rounds; docs/performance.md).
 */
export function withStoredText(metadata: StoredValues, text: string): StoredValues {
  return { ...metadata, [textMetadataKey]: text };
}

/**
 * The text and the metadata callers know, from what Chroma returns: records written before the text
 * moved to metadata still hold it as their document.
 */
export function readStoredText(
  document: string | null | undefined,
  metadata: Record<string, unknown> | null | undefined,
): { content: string; metadata: StoredValues } {
  const { [textMetadataKey]: text, ...rest } = (metadata ?? {}) as Record<string, unknown>;
  return { content: typeof text === "string" ? text : (document ?? ""), metadata: rest as StoredValues };
}
