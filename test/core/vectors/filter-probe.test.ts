import type { Collection } from "chromadb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { matchesWhere, ProbeMemory } from "../../../core/vectors/filter-probe.js";
import { createChromaClient, VectorStore } from "../../../core/vectors/index.js";
import { testServices, uniqueName } from "../../support/services.js";

describe("matchesWhere", () => {
  const metadata = { table: "orders", status: "open", quantity: 3, paid: false };

  it("judges equality, $in and $and as Chroma does, with types apart", () => {
    expect(matchesWhere(metadata, { table: { $eq: "orders" } })).toBe(true);
    expect(matchesWhere(metadata, { table: { $eq: "customers" } })).toBe(false);
    expect(matchesWhere(metadata, { quantity: { $eq: "3" } })).toBe(false);
    expect(matchesWhere(metadata, { paid: { $eq: false } })).toBe(true);
    expect(matchesWhere(metadata, { status: { $in: ["open", "held"] } })).toBe(true);
    expect(matchesWhere(metadata, { status: { $in: ["closed"] } })).toBe(false);
    expect(matchesWhere(metadata, { $and: [{ table: { $eq: "orders" } }, { quantity: { $in: [1, 3] } }] })).toBe(true);
    expect(matchesWhere(metadata, { $and: [{ table: { $eq: "orders" } }, { quantity: { $in: [1, 2] } }] })).toBe(false);
  });

  it("passes nothing it does not understand, and nothing whose field is absent", () => {
    expect(matchesWhere(metadata, { quantity: { $gt: 1 } })).toBe(false);
    expect(matchesWhere(metadata, { $or: [{ table: { $eq: "orders" } }] })).toBe(false);
    expect(matchesWhere(metadata, { customer_id: { $eq: 7 } })).toBe(false);
  });
});

describe("ProbeMemory", () => {
  it("skips a pair that fell short until it is forgotten, and keeps within its capacity", () => {
    const memory = new ProbeMemory(1_000, 2);
    const where = { table: { $eq: "a" } };
    expect(memory.worthTrying("c1", where, 0)).toBe(true);
    memory.fellShort("c1", where, 0);
    expect(memory.worthTrying("c1", where, 999)).toBe(false);
    expect(memory.worthTrying("c2", where, 999)).toBe(true);
    expect(memory.worthTrying("c1", { table: { $eq: "b" } }, 999)).toBe(true);
    expect(memory.worthTrying("c1", where, 1_000)).toBe(true);

    memory.fellShort("c1", where, 0);
    memory.fellShort("c2", where, 0);
    memory.fellShort("c3", where, 0);
    expect(memory.worthTrying("c1", where, 1)).toBe(true);
    expect(memory.worthTrying("c3", where, 1)).toBe(false);
  });
});

// Real Chroma: table "near" lies around the query's direction, table "far" away from it, so a probe
// without the where finds only "near" rows among the nearest neighbours.
describe("a filtered query on Chroma, probed without the where first", () => {
  const dimension = 4;
  const source = uniqueName("probe").replace(/-/g, "_");
  const store = new VectorStore(
    createChromaClient({ url: testServices.chromaUrl, tenant: "default_tenant", database: "default_database" }),
    { model: "test/filter-probe", dimension },
  );
  const query = [1, 0, 0, 0];
  const vector = (table: string, index: number) =>
    table === "near" ? [1, index / 100, 0, 0] : [0.2, 0, 1, index / 100];
  const records = ["near", "far"].flatMap((table) =>
    Array.from({ length: 20 }, (_, index) => ({
      id: `${table}-${index}`,
      embedding: vector(table, index),
      document: `${table} ${index}`,
      metadata: { source, table, parity: index % 2 === 0 ? "even" : "odd" },
    })),
  );
  let calls: Parameters<Collection["query"]>[0][] = [];

  beforeAll(async () => {
    await store.upsert(source, records);
    const collection = await createChromaClient({
      url: testServices.chromaUrl,
      tenant: "default_tenant",
      database: "default_database",
    }).getCollection({ name: store.collectionName(source), embeddingFunction: null as never });
    const query = Object.getPrototypeOf(collection).query as Collection["query"];
    vi.spyOn(Object.getPrototypeOf(collection), "query").mockImplementation(function (this: Collection, args) {
      calls.push(args as Parameters<Collection["query"]>[0]);
      return query.call(this, args as never);
    });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await store.deleteSource(source);
  });

  const ask = async (filters: Record<string, string>, k = 3) => {
    calls = [];
    const matches = await store.query(query, { k, filters: { source, ...filters } });
    return matches.map((match) => match.id);
  };

  it("answers from the probe alone when enough neighbours pass the filter", async () => {
    expect(await ask({ table: "near" })).toEqual(["near-0", "near-1", "near-2"]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.where).toBeUndefined();
    expect(calls[0]?.nResults).toBe(6);

    expect(await ask({ table: "near", parity: "odd" })).toEqual(["near-1", "near-3", "near-5"]);
    expect(calls).toHaveLength(1);
  });

  it("asks Chroma with the where when too few pass, and skips the probe for that filter afterwards", async () => {
    expect(await ask({ table: "far" })).toEqual(["far-0", "far-1", "far-2"]);
    expect(calls.map((call) => call.where)).toEqual([undefined, { table: { $eq: "far" } }]);

    expect(await ask({ table: "far" })).toEqual(["far-0", "far-1", "far-2"]);
    expect(calls.map((call) => call.where)).toEqual([{ table: { $eq: "far" } }]);
  });

  it("takes a probe that saw the whole collection as the complete answer, even when fewer than k pass", async () => {
    expect(await ask({ table: "near", parity: "even" }, 30)).toEqual(
      Array.from({ length: 10 }, (_, index) => `near-${index * 2}`),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]?.where).toBeUndefined();
  });
});
