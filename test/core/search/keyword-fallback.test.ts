import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../core/config/index.js";
import type { Embedder } from "../../../core/embeddings/index.js";
import type { KeywordIndex } from "../../../core/keyword/index.js";
import { type RetrievalMode, search } from "../../../core/search/index.js";
import type { VectorStore } from "../../../core/vectors/index.js";

/** What search asks of the keyword side, per mode and setting, with both stores stubbed. */
async function keywordRequest(
  mode: RetrievalMode,
  request: { maxResults: number; groupByRow?: boolean },
  env: Record<string, string> = {},
) {
  const asked: { k: number; fallbackBelow?: number | undefined }[] = [];
  const keywords = {
    query: async (_text: string, options: { k: number; fallbackBelow?: number | undefined }) => {
      asked.push({ k: options.k, fallbackBelow: options.fallbackBelow });
      return [];
    },
  } as unknown as KeywordIndex;
  const vectors = { query: async () => [] } as unknown as VectorStore;
  const embedder = { embed: async () => [[1, 0, 0]] } as unknown as Embedder;
  const settings = loadConfig({ env: { SEARCH_DATABASE_URL: "postgresql://unused/x_test", ...env } });
  await search({ embedder, vectors, keywords, settings }, { query: "quiet oak desk", mode, ...request });
  return asked;
}

describe("hybrid search's keyword side", () => {
  it("asks for HYBRID_CANDIDATES but falls back to chunks with some words only below keyword mode's depth", async () => {
    expect(await keywordRequest("hybrid", { maxResults: 5 })).toEqual([{ k: 50, fallbackBelow: 15 }]);
    expect(await keywordRequest("hybrid", { maxResults: 5, groupByRow: false })).toEqual([{ k: 50, fallbackBelow: 5 }]);
    expect(await keywordRequest("hybrid", { maxResults: 20 })).toEqual([{ k: 60, fallbackBelow: 60 }]);
    // Keyword mode asks for its own depth and falls back below it.
    expect(await keywordRequest("keyword", { maxResults: 5 })).toEqual([{ k: 15, fallbackBelow: undefined }]);
  });

  it("falls back below the candidates with HYBRID_KEYWORD_FALLBACK=candidates", async () => {
    expect(await keywordRequest("hybrid", { maxResults: 5 }, { HYBRID_KEYWORD_FALLBACK: "candidates" })).toEqual([
      { k: 50, fallbackBelow: 50 },
    ]);
  });
});
