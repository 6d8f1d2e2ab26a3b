import { afterAll, describe, expect, it } from "vitest";
import { createChromaClient, VectorStore } from "../../../core/vectors/index.js";
import { testServices, uniqueName } from "../../support/services.js";

const dimension = 4;
const unit = (index: number) => Array.from({ length: dimension }, (_, position) => (position === index ? 1 : 0));
const chroma = () =>
  createChromaClient({ url: testServices.chromaUrl, tenant: "default_tenant", database: "default_database" });

describe("a chunk's text kept in Chroma as metadata, outside Chroma's full-text index", () => {
  const source = uniqueName("text").replace(/-/g, "_");
  const store = new VectorStore(chroma(), { model: "test/stored-text", dimension });
  const record = (id: string, index: number, text: string) => ({
    id: `${source}:t:${id}`,
    embedding: unit(index),
    document: text,
    metadata: { source, table: "t", row_key: id, content_hash: `hash-${id}` },
  });
  const raw = () => chroma().getCollection({ name: store.collectionName(source), embeddingFunction: null as never });

  afterAll(() => store.deleteSource(source));

  it("writes no Chroma document, and gives the text back as content with the metadata callers wrote", async () => {
    await store.upsert(source, [record("1", 0, "a walnut desk"), record("2", 1, "an oak shelf")]);
    const stored = await (await raw()).get({ include: ["documents", "metadatas"] });
    expect(stored.documents).toEqual([null, null]);
    expect(stored.metadatas.map((metadata) => metadata?.chunk_text).sort()).toEqual(["a walnut desk", "an oak shelf"]);

    const expected = { source, table: "t", row_key: "1", content_hash: "hash-1" };
    const [match] = await store.query(unit(0), { k: 1, filters: { source } });
    expect(match).toMatchObject({ id: `${source}:t:1`, content: "a walnut desk", metadata: expected });
    expect(match?.metadata).not.toHaveProperty("chunk_text");
    expect(await store.get(source, { ids: [`${source}:t:1`] })).toEqual([
      { id: `${source}:t:1`, content: "a walnut desk", metadata: expected },
    ]);
    expect(await store.getMetadata(source, [`${source}:t:1`])).toEqual([{ id: `${source}:t:1`, metadata: expected }]);
    expect((await store.pageTable(source, "t", { limit: 10, offset: 0 })).map((page) => page.metadata)).toContainEqual(
      expected,
    );
    const [full] = await store.getRecords(source, [`${source}:t:1`]);
    expect(full).toMatchObject({ document: "a walnut desk", metadata: expected });
  });

  it("keeps the text through a metadata update", async () => {
    await store.updateMetadata(source, [
      { id: `${source}:t:2`, metadata: { source, table: "t", row_key: "2", content_hash: "hash-2b" } },
    ]);
    expect(await store.get(source, { ids: [`${source}:t:2`] })).toEqual([
      {
        id: `${source}:t:2`,
        content: "an oak shelf",
        metadata: { source, table: "t", row_key: "2", content_hash: "hash-2b" },
      },
    ]);
  });

  it("reads a record written before the text moved, which holds it as its document", async () => {
    await (await raw()).upsert({
      ids: [`${source}:t:3`],
      embeddings: [unit(2)],
      documents: ["a pine bench"],
      metadatas: [{ source, table: "t", row_key: "3", content_hash: "hash-3" }],
    });
    const [match] = await store.query(unit(2), { k: 1, filters: { source } });
    expect(match).toMatchObject({ id: `${source}:t:3`, content: "a pine bench" });
    expect((await store.getRecords(source, [`${source}:t:3`]))[0]?.document).toBe("a pine bench");
  });
});
