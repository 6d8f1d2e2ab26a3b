import { afterAll, describe, expect, it } from "vitest";
import { createChromaClient, VectorStore } from "../../../core/vectors/index.js";
import { testServices, uniqueName } from "../../support/services.js";

const dimension = 4;
const unit = (index: number) => Array.from({ length: dimension }, (_, position) => (position === index ? 1 : 0));
const record = (source: string, id: string, index: number) => ({
  id: `${source}:t:${id}`,
  embedding: unit(index),
  document: id,
  metadata: { source, table: "t" },
});

/** Each VectorStore stands for one service instance: its own client and its own cache of collections. */
const instance = () =>
  new VectorStore(
    createChromaClient({ url: testServices.chromaUrl, tenant: "default_tenant", database: "default_database" }),
    { model: "test/store-instances", dimension },
  );

describe("a VectorStore whose collections another instance deletes or recreates", () => {
  const source = uniqueName("inst").replace(/-/g, "_");
  const first = instance();
  const second = instance();

  afterAll(async () => {
    await second.deleteSource(source);
  });

  it("finds the recreated collection's records instead of failing on its cached one", async () => {
    await first.upsert(source, [record(source, "old", 0)]);
    expect((await first.query(unit(0), { k: 1, filters: { source } })).map((match) => match.content)).toEqual(["old"]);

    await second.deleteSource(source);
    await second.upsert(source, [record(source, "new", 1)]);

    const matches = await first.query(unit(1), { k: 1, filters: { source } });
    expect(matches.map((match) => match.content)).toEqual(["new"]);
  });

  it("writes into a collection created afresh when another instance deleted the cached one", async () => {
    await first.upsert(source, [record(source, "before", 2)]);
    await second.deleteSource(source);
    await first.upsert(source, [record(source, "after", 3)]);
    expect((await second.get(source)).map((stored) => stored.content)).toEqual(["after"]);
  });

  it("answers nothing, not an error, for a collection deleted since it was cached", async () => {
    expect(await first.query(unit(1), { k: 1, filters: { source } })).toHaveLength(1);
    await second.deleteSource(source);
    expect(await first.query(unit(1), { k: 1, filters: { source } })).toEqual([]);
  });
});
