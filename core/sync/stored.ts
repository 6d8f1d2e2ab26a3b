import type { MetadataValue } from "../sources/index.js";
import type { VectorStore } from "../vectors/index.js";

/** What the store holds for one row: its vector ids and its metadata (the chunk fields left out). */
export interface StoredRow {
  ids: string[];
  metadata: Record<string, MetadataValue>;
  contentHash: string | undefined;
  /** Both the whole id and chunk ids: the chunk settings changed between two writes. */
  mixed: boolean;
}

const chunkFields = new Set(["chunk", "chunks"]);

export const withoutChunkFields = (metadata: Record<string, MetadataValue>): Record<string, MetadataValue> =>
  Object.fromEntries(Object.entries(metadata).filter(([key]) => !chunkFields.has(key)));

/**
 * The stored state of each document id, in one store round trip: a row is stored either whole
 * (`id`) or in chunks (`id#0` … `id#n-1`, with `chunks` on each), so asking for `id` and `id#0`
 * finds it either way, and `#0` tells how many chunks there are.
 */
export async function readStored(
  vectors: VectorStore,
  source: string,
  documentIds: readonly string[],
): Promise<Map<string, StoredRow>> {
  const found = await vectors.getMetadata(
    source,
    documentIds.flatMap((id) => [id, `${id}#0`]),
  );
  const byId = new Map(found.map((record) => [record.id, record.metadata]));
  const rows = new Map<string, StoredRow>();
  for (const id of documentIds) {
    const whole = byId.get(id);
    const first = byId.get(`${id}#0`);
    const metadata = whole ?? first;
    if (!metadata) continue;
    const chunks = first ? Math.max(1, Math.floor(Number(first.chunks) || 1)) : 0;
    rows.set(id, {
      ids: [...(whole ? [id] : []), ...Array.from({ length: chunks }, (_, index) => `${id}#${index}`)],
      metadata: withoutChunkFields(metadata),
      contentHash: typeof metadata.content_hash === "string" ? metadata.content_hash : undefined,
      mixed: Boolean(whole && first),
    });
  }
  return rows;
}

export function sameMetadata(left: Record<string, MetadataValue>, right: Record<string, MetadataValue>): boolean {
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => left[key] === right[key]);
}
