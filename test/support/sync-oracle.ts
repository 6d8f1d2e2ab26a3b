import type { AppContext } from "../../core/context/index.js";
import type { Embedder } from "../../core/embeddings/index.js";
import { prepareRow } from "../../core/ingest/index.js";
import { resolveSelection } from "../../core/sources/index.js";

/** The context's embedder, recording every text it is asked to embed (the counting wrapper the tests assert on). */
export function countingEmbedder(base: Embedder): Embedder & { texts: string[]; reset(): void } {
  const texts: string[] = [];
  return {
    texts,
    reset: () => void texts.splice(0),
    model: base.model,
    dimension: base.dimension,
    maxTokens: base.maxTokens,
    embed: (batch) => {
      texts.push(...batch);
      return base.embed(batch);
    },
    countTokens: (batch) => base.countTokens(batch),
    warmUp: () => base.warmUp(),
    close: async () => undefined,
  };
}

type StoredRecord = { id: string; content: string; metadata: Record<string, unknown> };

/**
 * What a fresh ingestion of the table's current rows would store, id by id: the reference a
 * synced store must equal exactly (ids, contents, metadata).
 */
export async function expectedRecords(
  context: AppContext,
  source: string,
  table: string,
  spec: { textFields: string[]; fields?: string[] },
): Promise<StoredRecord[]> {
  const connector = context.sources.get(source);
  const selection = resolveSelection(source, await connector.describe(table), spec);
  const shape = { source, table, ...selection };
  const chunking = {
    maxTokens: context.settings.CHUNK_MAX_TOKENS,
    overlapTokens: context.settings.CHUNK_OVERLAP_TOKENS,
  };
  const records: StoredRecord[] = [];
  for await (const row of connector.stream({ table, fields: selection.readFields })) {
    for (const chunk of await prepareRow(row, shape, context.embedder, chunking)) {
      records.push({ id: chunk.id, content: chunk.document, metadata: chunk.metadata });
    }
  }
  return records.sort((a, b) => a.id.localeCompare(b.id));
}

/** Every record the store holds for a table, sorted by id. */
export async function storedRecords(context: AppContext, source: string, table: string): Promise<StoredRecord[]> {
  const records = (await context.vectors?.get(source, { where: { table: { $eq: table } }, limit: 100_000 })) ?? [];
  return records
    .map((record) => ({ id: record.id, content: record.content, metadata: record.metadata }))
    .sort((a, b) => a.id.localeCompare(b.id));
}
