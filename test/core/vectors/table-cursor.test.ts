import type { Collection } from "chromadb";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createChromaClient, VectorStore } from "../../../core/vectors/index.js";
import { testServices, uniqueName } from "../../support/services.js";

// Real Chroma. Every `get` the store sends is recorded, to see whether the walk asked Chroma to filter each page.
describe("TableCursor on Chroma", () => {
  const dimension = 4;
  const client = () =>
    createChromaClient({ url: testServices.chromaUrl, tenant: "default_tenant", database: "default_database" });
  const store = new VectorStore(client(), { model: "test/table-cursor", dimension });
  const single = uniqueName("cursor1").replace(/-/g, "_");
  const mixed = uniqueName("cursor2").replace(/-/g, "_");
  const records = (source: string, table: string, count: number) =>
    Array.from({ length: count }, (_, index) => ({
      id: `${table}-${String(index).padStart(2, "0")}`,
      embedding: [1, index, 0, 0],
      document: `${table} ${index}`,
      metadata: { source, table },
    }));
  let wheres: unknown[] = [];

  const walk = async (source: string, table: string, pageSize: number, onPage?: (ids: string[]) => Promise<number>) => {
    wheres = [];
    const cursor = store.tableCursor(source, table, pageSize);
    const seen: string[] = [];
    for (let page = await cursor.next(); page.length > 0; page = await cursor.next()) {
      const ids = page.map((record) => record.id);
      seen.push(...ids);
      const removed = (await onPage?.(ids)) ?? 0;
      cursor.removed(removed);
    }
    return seen;
  };

  beforeAll(async () => {
    await store.upsert(mixed, [...records(mixed, "a", 12), ...records(mixed, "b", 12)]);
    const collection = await client().getCollection({
      name: store.collectionName(mixed),
      embeddingFunction: null as never,
    });
    const prototype = Object.getPrototypeOf(collection);
    const get = prototype.get as Collection["get"];
    vi.spyOn(prototype, "get").mockImplementation(function (this: Collection, args) {
      wheres.push((args as { where?: unknown } | undefined)?.where);
      return get.call(this, args as never);
    });
  });

  beforeEach(async () => {
    await store.deleteSource(single);
    await store.upsert(single, records(single, "a", 25));
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await Promise.all([store.deleteSource(single), store.deleteSource(mixed)]);
  });

  it("pages a collection that holds only the table without a where, after one question", async () => {
    const seen = await walk(single, "a", 10);
    expect(seen.toSorted()).toEqual(records(single, "a", 25).map((record) => record.id));
    expect(wheres).toEqual([{ table: { $ne: "a" } }, undefined, undefined, undefined]);
    expect(await store.countTable(single, "a")).toBe(25);
  });

  it("filters each page in Chroma when the collection holds other tables", async () => {
    const seen = await walk(mixed, "b", 5);
    expect(seen.toSorted()).toEqual(records(mixed, "b", 12).map((record) => record.id));
    expect(wheres.slice(1)).toEqual(Array(3).fill({ table: { $eq: "b" } }));
    expect(await store.countTable(mixed, "b")).toBe(12);
  });

  it("drops records another table writes during an unfiltered walk", async () => {
    let first = true;
    const seen = await walk(single, "a", 10, async () => {
      if (first) await store.upsert(single, records(single, "z", 30));
      first = false;
      return 0;
    });
    expect(seen.toSorted()).toEqual(records(single, "a", 25).map((record) => record.id));
  });

  it("sees every remaining record once when the caller deletes from the pages it was given", async () => {
    const deleted: string[] = [];
    const seen = await walk(single, "a", 10, async (ids) => {
      const gone = ids.slice(0, 3);
      await store.deleteIds(single, gone);
      deleted.push(...gone);
      return gone.length;
    });
    expect(seen.toSorted()).toEqual(records(single, "a", 25).map((record) => record.id));
    expect(deleted).toHaveLength(9);
    expect(await store.countTable(single, "a")).toBe(16);
  });
});
