import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../core/config/index.js";
import {
  createEmbedder,
  embeddingModelInfo,
  HashEmbedder,
  TransformersEmbedder,
} from "../../../core/embeddings/index.js";
import { testSettings } from "../../support/services.js";

const norm = (vector: Float32Array) => Math.hypot(...vector);
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0);

describe("EMBEDDING_PROVIDER", () => {
  it("defaults to the model and accepts hash", () => {
    expect(loadConfig({ env: {} }).EMBEDDING_PROVIDER).toBe("transformers");
    expect(loadConfig({ env: { EMBEDDING_PROVIDER: "hash" } }).EMBEDDING_PROVIDER).toBe("hash");
  });

  it("refuses a provider it does not know, naming the setting", () => {
    expect(() => loadConfig({ env: { EMBEDDING_PROVIDER: "openai" } })).toThrow(/EMBEDDING_PROVIDER/);
  });

  it("picks the embedder the setting names", () => {
    expect(createEmbedder(loadConfig({ env: { EMBEDDING_PROVIDER: "hash" } }))).toBeInstanceOf(HashEmbedder);
    const model = createEmbedder(loadConfig({ env: {} }));
    expect(model).not.toBeInstanceOf(HashEmbedder);
    expect(model.model).toBe("Xenova/all-MiniLM-L6-v2");
  });

  it("names the vector store's collections after the embedder in use, so hash vectors never join the model's", () => {
    for (const env of [{}, { EMBEDDING_PROVIDER: "hash" }]) {
      const settings = loadConfig({ env });
      expect(embeddingModelInfo(settings)).toEqual({
        model: createEmbedder(settings).model,
        dimension: createEmbedder(settings).dimension,
      });
    }
  });
});

describe("the hash embedder (benchmarks and tests only)", () => {
  const settings = testSettings();
  const location = { modelDir: settings.EMBEDDING_MODEL_DIR, allowRemote: false };
  const hash = new HashEmbedder({ ...location, tokenizerModel: settings.EMBEDDING_MODEL });
  const model = new TransformersEmbedder({
    ...location,
    model: settings.EMBEDDING_MODEL,
    dtype: settings.EMBEDDING_DTYPE,
    batchSize: settings.EMBEDDING_BATCH_SIZE,
  });
  afterAll(() => Promise.all([hash.close(), model.close()]));
  const texts = [
    "A 32 litre hiking backpack with a rain cover",
    "A 38 litre hiking backpack with a rain cover and a mesh back panel",
    "Standing desk with an oak top",
    "",
  ];

  it("gives one unit vector of the model's length per text, the same on every call", async () => {
    const first = await hash.embed(texts);
    const again = await hash.embed([...texts].reverse());
    expect(first).toHaveLength(texts.length);
    for (const [index, vector] of first.entries()) {
      expect(vector).toHaveLength(384);
      expect(norm(vector)).toBeCloseTo(1, 5);
      expect(vector).toEqual(again[texts.length - 1 - index]);
    }
  });

  it("puts texts sharing tokens closer than texts that do not", async () => {
    const [backpack, largerBackpack, desk] = await hash.embed(texts.slice(0, 3));
    if (!backpack || !largerBackpack || !desk) throw new Error("three texts, three vectors expected");
    expect(cosine(backpack, largerBackpack)).toBeGreaterThan(cosine(backpack, desk) + 0.3);
  });

  it("counts tokens as the model does, so documents are chunked alike", async () => {
    const long = "tokenisation ".repeat(300);
    expect(await hash.countTokens([...texts, long])).toEqual(await model.countTokens([...texts, long]));
  });

  it("stores under a model name of its own, so its vectors never join a collection of real ones", () => {
    expect(hash.model).not.toBe(model.model);
    expect(hash.dimension).toBe(model.dimension);
  });
});
