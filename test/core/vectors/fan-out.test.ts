import type { Collection } from "chromadb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createChromaClient, VectorStore } from "../../../core/vectors/index.js";
import { testServices, uniqueName } from "../../support/services.js";

// Real Chroma. A model name of its own keeps other tests' collections out of "every source".
describe("a query over every source: neighbours from each collection, documents read for the winners only", () => {
  const dimension = 4;
  const run = uniqueName("fan").replace(/-/g, "_");
  const chroma = () =>
    createChromaClient({ url: testServices.chromaUrl, tenant: "default_tenant", database: "default_database" });
  const store = new VectorStore(chroma(), { model: `test/${run}`, dimension });
  const sources = ["alpha", "beta", "gamma"].map((name) => `${name}_${run}`);
  // Source i's record j lies at angle (3j + i) degrees·10 from the query: the nearest interleave the sources.
  const angle = (source: number, index: number) => ((3 * index + source) * 10 * Math.PI) / 180;
  const query = [1, 0, 0, 0];
  let queries: Parameters<Collection["query"]>[0][] = [];
  let gets: Parameters<Collection["get"]>[0][] = [];
  /** Runs before the next get that asks for this id, as if another client deleted it just then. */
  let beforeGet: { id: string; run(): Promise<void> } | undefined;

  beforeAll(async () => {
    for (const [sourceIndex, source] of sources.entries()) {
      await store.upsert(
        source,
        Array.from({ length: 4 }, (_, index) => ({
          id: `${source}:t:${index}`,
          embedding: [Math.cos(angle(sourceIndex, index)), Math.sin(angle(sourceIndex, index)), 0, 0],
          document: `document ${index} of ${source}`,
          metadata: { source, table: "t", row_key: String(index) },
        })),
      );
    }
    const collection = await chroma().getCollection({
      name: store.collectionName(sources[0] as string),
      embeddingFunction: null as never,
    });
    const prototype = Object.getPrototypeOf(collection);
    const realQuery = prototype.query as Collection["query"];
    const realGet = prototype.get as Collection["get"];
    vi.spyOn(prototype, "query").mockImplementation(function (this: Collection, args) {
      queries.push(args as Parameters<Collection["query"]>[0]);
      return realQuery.call(this, args as never);
    });
    vi.spyOn(prototype, "get").mockImplementation(async function (this: Collection, args) {
      gets.push(args as Parameters<Collection["get"]>[0]);
      const before = beforeGet;
      if (before && ((args as { ids?: string[] } | undefined)?.ids ?? []).includes(before.id)) {
        beforeGet = undefined;
        await before.run();
      }
      return realGet.call(this, args as never);
    });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    for (const source of sources) await store.deleteSource(source);
  });

  const ask = async (filters: Record<string, string> = {}, k = 4) => {
    queries = [];
    gets = [];
    return store.query(query, { k, filters });
  };

  it("merges every collection's neighbours by score and reads the documents of the k that win", async () => {
    const matches = await ask();
    expect(matches.map((match) => match.id)).toEqual([
      `${sources[0]}:t:0`,
      `${sources[1]}:t:0`,
      `${sources[2]}:t:0`,
      `${sources[0]}:t:1`,
    ]);
    expect(matches.map((match) => match.content)).toEqual([
      `document 0 of ${sources[0]}`,
      `document 0 of ${sources[1]}`,
      `document 0 of ${sources[2]}`,
      `document 1 of ${sources[0]}`,
    ]);
    expect(matches[1]?.metadata).toEqual({ source: sources[1], table: "t", row_key: "0" });
    expect(matches[0]?.relevance_score).toBeCloseTo(1, 5);
    expect(matches[1]?.relevance_score).toBeCloseTo(Math.cos(angle(1, 0)), 5);
    // Three neighbour queries without documents, then one get per collection holding a winner.
    expect(queries).toHaveLength(3);
    for (const call of queries) expect(call?.include).toEqual(["metadatas", "distances"]);
    expect(gets.map((call) => call?.include)).toEqual([["documents"], ["documents"], ["documents"]]);
    expect(gets.map((call) => call?.ids).sort()).toEqual(
      [[`${sources[0]}:t:0`, `${sources[0]}:t:1`], [`${sources[1]}:t:0`], [`${sources[2]}:t:0`]].sort(),
    );
  });

  it("asks one collection for its documents directly", async () => {
    const matches = await ask({ source: sources[2] as string }, 2);
    expect(matches.map((match) => match.content)).toEqual([
      `document 0 of ${sources[2]}`,
      `document 1 of ${sources[2]}`,
    ]);
    expect(queries).toHaveLength(1);
    expect(queries[0]?.include).toEqual(["documents", "metadatas", "distances"]);
    expect(gets).toEqual([]);
  });

  it("leaves out a winner deleted between the neighbours and the documents", async () => {
    const gone = `${sources[1]}:t:0`;
    beforeGet = { id: gone, run: () => store.deleteIds(sources[1] as string, [gone]) };
    const matches = await ask({}, 3);
    expect(matches.map((match) => match.id)).toEqual([`${sources[0]}:t:0`, `${sources[2]}:t:0`]);
    expect((await ask({}, 3)).map((match) => match.id)).toEqual([
      `${sources[0]}:t:0`,
      `${sources[2]}:t:0`,
      `${sources[0]}:t:1`,
    ]);
  });
});
