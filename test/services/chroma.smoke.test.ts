import { afterAll, describe, expect, it } from "vitest";
import { createChromaClient } from "../../core/vectors/index.js";
import { testServices, uniqueName } from "../support/services.js";

const unit = (values: number[]) => {
  const norm = Math.hypot(...values);
  return values.map((value) => value / norm);
};

describe("Chroma (real server from the chromadb package's CLI)", () => {
  const chroma = createChromaClient({
    url: testServices.chromaUrl,
    tenant: "default_tenant",
    database: "default_database",
  });
  const name = uniqueName("smoke");
  afterAll(() => chroma.deleteCollection({ name }).catch(() => undefined));

  it("answers heartbeat and version", async () => {
    expect(await chroma.heartbeat()).toBeGreaterThan(0);
    expect(await chroma.version()).toMatch(/^\d+\.\d+/);
  });

  it("creates a cosine collection, upserts, filters and counts", async () => {
    const collection = await chroma.getOrCreateCollection({
      name,
      embeddingFunction: null,
      configuration: { hnsw: { space: "cosine" } },
      metadata: { embedding_model: "test" },
    });
    await collection.upsert({
      ids: ["a", "b", "c"],
      embeddings: [unit([1, 0, 0]), unit([0.9, 0.1, 0]), unit([0, 0, 1])],
      documents: ["alpha", "beta", "gamma"],
      metadatas: [{ source: "s1" }, { source: "s2" }, { source: "s1" }],
    });
    // Upserting the same id again must not add a record.
    await collection.upsert({
      ids: ["a"],
      embeddings: [unit([1, 0, 0])],
      documents: ["alpha 2"],
      metadatas: [{ source: "s1" }],
    });
    expect(await collection.count()).toBe(3);
    const result = await collection.query({ queryEmbeddings: [unit([1, 0, 0])], nResults: 2, where: { source: "s1" } });
    expect(result.ids[0]).toEqual(["a", "c"]);
    expect(result.documents[0]?.[0]).toBe("alpha 2");
    // Cosine distance: 0 for the same direction.
    expect(result.distances[0]?.[0]).toBeCloseTo(0, 5);
  });
});
