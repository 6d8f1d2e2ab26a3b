import { isDeepStrictEqual } from "node:util";
import pg from "pg";
import { expect } from "vitest";
import type { AppContext } from "../../core/context/index.js";
import { testServices } from "./services.js";

/** Reads the keyword index's table directly (not through the class under test). */
export async function keywordRows(source: string) {
  const client = new pg.Client({ connectionString: testServices.searchUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; content_hash: string | null; metadata: object; content: string }>(
      "SELECT id, content_hash, metadata, content FROM keyword_chunks WHERE source = $1 ORDER BY id",
      [source],
    );
    return rows;
  } finally {
    await client.end();
  }
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The keyword index holds exactly the vector store's chunks for a source: the same ids, and for
 * each the same text, metadata and content hash.
 */
export async function expectKeywordIndexInStep(context: AppContext, source: string): Promise<number> {
  const { vectors, keywords } = await bothSides(context, source);
  expect(keywords).toEqual(vectors);
  return vectors.length;
}

/** Whether the two stores agree now, for waiting on a consumer that writes both. */
export async function keywordIndexInStep(context: AppContext, source: string): Promise<boolean> {
  const { vectors, keywords } = await bothSides(context, source);
  return isDeepStrictEqual(keywords, vectors);
}

async function bothSides(context: AppContext, source: string) {
  const stored = (await context.vectors?.get(source)) ?? [];
  const vectors = stored
    .map((record) => ({
      id: record.id,
      content_hash: record.metadata.content_hash === undefined ? null : String(record.metadata.content_hash),
      metadata: record.metadata,
      content: record.content.replaceAll("\u0000", " "),
    }))
    .sort(byId);
  const keywords = (await keywordRows(source)).sort(byId);
  return { vectors, keywords };
}
