import type { Collection } from "chromadb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createRedis } from "../../../core/redis/index.js";
import { RedisCollectionVersions } from "../../../core/vectors/collection-versions.js";
import { createChromaClient, VectorStore } from "../../../core/vectors/index.js";
import { SmallCollections } from "../../../core/vectors/small-collections.js";
import { testServices, uniqueName } from "../../support/services.js";

const dimension = 8;
const chroma = { tenant: "default_tenant", database: "default_database" };
const model = { model: "test/small-collections", dimension };

/** A deterministic spread of vectors, not unit length: the copy must normalise as Chroma's cosine space does. */
const vector = (seed: number) =>
  Array.from({ length: dimension }, (_, index) => Math.sin(seed * 12.9898 + index * 78.233) * (1 + (seed % 3)));

// Real Chroma and Redis. Each store stands for one process: its own Chroma client, copies and Redis client.
describe("searching several sources with small ones held in memory", () => {
  const run = uniqueName("small").replace(/-/g, "_");
  const [first, second, big] = [`${run}_a`, `${run}_b`, `${run}_big`];
  const sources = [first, second, big];
  const redises = [createRedis(testServices.redisUrl), createRedis(testServices.redisUrl)];
  const process = (redis: (typeof redises)[number]) => {
    // One load at a time per source: with the default two, whichever two of the three collections answer
    // first take both places, and a small source can miss its first search's load (a race seen in CI).
    // The cap itself is tested below.
    const small = new SmallCollections(new RedisCollectionVersions(redis, chroma), { maxRecords: 20, maxLoading: 3 });
    const store = new VectorStore(createChromaClient({ url: testServices.chromaUrl, ...chroma }), model, { small });
    return { small, store };
  };
  const reader = process(redises[0] as (typeof redises)[number]);
  const writer = process(redises[1] as (typeof redises)[number]);
  const records = (source: string, count: number, from = 0) =>
    Array.from({ length: count }, (_, offset) => {
      const index = from + offset;
      return {
        id: `${source}:t:${index}`,
        embedding: vector(index + source.length * 100),
        document: `${source} row ${index}`,
        metadata: { source, table: "t", parity: index % 2 === 0 ? "even" : "odd" },
      };
    });
  let asked: string[] = [];

  beforeAll(async () => {
    await Promise.all(redises.map((redis) => redis.connect()));
    await writer.store.upsert(first, records(first, 12));
    await writer.store.upsert(second, records(second, 15));
    await writer.store.upsert(big, records(big, 30));
    const collection = await createChromaClient({ url: testServices.chromaUrl, ...chroma }).getCollection({
      name: reader.store.collectionName(first),
      embeddingFunction: null as never,
    });
    const query = Object.getPrototypeOf(collection).query as Collection["query"];
    vi.spyOn(Object.getPrototypeOf(collection), "query").mockImplementation(function (this: Collection, args) {
      asked.push(this.name);
      return query.call(this, args as never);
    });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    for (const source of sources) await writer.store.deleteSource(source);
    await Promise.all(redises.map((redis) => redis.quit()));
  });

  const search = async (store: VectorStore, seed: number, extra: Record<string, string> = {}, k = 6) => {
    asked = [];
    return store.query(vector(seed), { k, filters: { source: { $in: sources }, ...extra } });
  };
  const name = (source: string) => reader.store.collectionName(source);

  it("asks Chroma for every source first, then only for the one too big to hold, with the same answer", async () => {
    const fromChroma = await search(reader.store, 1_207);
    expect(asked.sort()).toEqual(sources.map(name).sort());
    await reader.small.settled();
    expect(reader.small.held().sort()).toEqual([name(first), name(second)].sort());

    const fromMemory = await search(reader.store, 1_207);
    expect(asked).toEqual([name(big)]);
    expect(fromMemory.map((match) => match.id)).toEqual(fromChroma.map((match) => match.id));
    fromMemory.forEach((match, index) => {
      const chromaMatch = fromChroma[index];
      expect(match.relevance_score).toBeCloseTo(chromaMatch?.relevance_score ?? Number.NaN, 5);
      expect(match.content).toBe(chromaMatch?.content);
      expect(match.metadata).toEqual(chromaMatch?.metadata);
    });
    // Both small sources rank among the six, so the copies answered, not only the big one.
    expect(new Set(fromMemory.map((match) => match.metadata.source))).toEqual(new Set(sources));
  });

  it("filters the copies by metadata as Chroma's where does", async () => {
    await search(reader.store, 2_013, { parity: "odd" }, 20);
    await reader.small.settled();
    const held = await search(reader.store, 2_013, { parity: "odd" }, 20);
    expect(asked).toEqual([name(big)]);
    expect(held.every((match) => match.metadata.parity === "odd")).toBe(true);
    // The same question with the copies bypassed: each source asked alone is one collection, so Chroma.
    const each = await Promise.all(
      sources.map((source) => reader.store.query(vector(2_013), { k: 20, filters: { source, parity: "odd" } })),
    );
    const expected = each
      .flat()
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .slice(0, 20);
    expect(held.map((match) => match.id)).toEqual(expected.map((match) => match.id));
  });

  it("sees another process's write at once: Chroma is asked until the copy is loaded again", async () => {
    await search(reader.store, 3_001);
    await reader.small.settled();
    // The new record is the nearest to the query there is.
    const nearest = { id: `${first}:t:new`, embedding: vector(3_001), document: "new", metadata: { source: first } };
    await writer.store.upsert(first, [nearest]);
    const after = await search(reader.store, 3_001);
    expect(after[0]?.id).toBe(`${first}:t:new`);
    expect(asked.sort()).toEqual([name(big), name(first)].sort());

    await reader.small.settled();
    const held = await search(reader.store, 3_001);
    expect(asked).toEqual([name(big)]);
    expect(held[0]?.id).toBe(`${first}:t:new`);

    await writer.store.deleteIds(first, [`${first}:t:new`]);
    const deleted = await search(reader.store, 3_001);
    expect(deleted.map((match) => match.id)).not.toContain(`${first}:t:new`);
    expect(asked).toContain(name(first));
  });

  it("asks Chroma for every source while Redis cannot be read", async () => {
    const away = createRedis("redis://127.0.0.1:1/0");
    try {
      const small = new SmallCollections(new RedisCollectionVersions(away, chroma), { maxRecords: 20 });
      const store = new VectorStore(createChromaClient({ url: testServices.chromaUrl, ...chroma }), model, { small });
      const expected = await search(reader.store, 4_111);
      const matches = await search(store, 4_111);
      expect(asked.sort()).toEqual(sources.map(name).sort());
      await small.settled();
      expect(small.held()).toEqual([]);
      expect(matches.map((match) => match.id)).toEqual(expected.map((match) => match.id));
    } finally {
      away.disconnect();
    }
  });
});

describe("more small sources than a process holds", () => {
  const run = uniqueName("smallcap").replace(/-/g, "_");
  const sources = [1, 2, 3, 4].map((index) => `${run}_${index}`);
  const redis = createRedis(testServices.redisUrl);
  const small = new SmallCollections(new RedisCollectionVersions(redis, chroma), {
    maxRecords: 20,
    maxCollections: 2,
    maxLoading: 1,
  });
  const store = new VectorStore(createChromaClient({ url: testServices.chromaUrl, ...chroma }), model, { small });

  beforeAll(async () => {
    await redis.connect();
    for (const [index, source] of sources.entries()) {
      await store.upsert(source, [
        { id: `${source}:t:0`, embedding: vector(index), document: source, metadata: { source } },
      ]);
    }
  });

  afterAll(async () => {
    for (const source of sources) await store.deleteSource(source);
    await redis.quit();
  });

  it("keeps the copies it holds instead of loading the others in turn, one load at a time", async () => {
    const search = () => store.query(vector(7), { k: 4, filters: { source: { $in: sources } } });
    const rounds: string[][] = [];
    for (let round = 0; round < 4; round += 1) {
      expect((await search()).map((match) => match.content).sort()).toEqual([...sources].sort());
      await small.settled();
      rounds.push(small.held().sort());
    }
    // One load a search, until both places are taken; then the same two stay.
    expect(rounds[0]).toHaveLength(1);
    expect(rounds[1]).toHaveLength(2);
    expect(rounds[2]).toEqual(rounds[1]);
    expect(rounds[3]).toEqual(rounds[1]);
  });
});
