import { afterAll, describe, expect, it } from "vitest";
import { TransformersEmbedder } from "../../core/embeddings/index.js";
import { testSettings } from "../support/services.js";

const norm = (vector: Float32Array) => Math.hypot(...vector);
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0);

describe("the embedder (all-MiniLM-L6-v2 from the local model folder)", () => {
  const settings = testSettings();
  const embedderOptions = {
    model: settings.EMBEDDING_MODEL,
    modelDir: settings.EMBEDDING_MODEL_DIR,
    dtype: settings.EMBEDDING_DTYPE,
    batchSize: settings.EMBEDDING_BATCH_SIZE,
    allowRemote: false,
  };
  const embedder = new TransformersEmbedder(embedderOptions);
  afterAll(() => embedder.close());

  it("produces a 384-dimensional unit vector", async () => {
    const [vector] = await embedder.embed(["Where is my order?"]);
    expect(vector).toHaveLength(384);
    expect(norm(vector as Float32Array)).toBeCloseTo(1, 5);
  });

  it("scores a paraphrase above an unrelated sentence", async () => {
    const [question, paraphrase, unrelated] = await embedder.embed([
      "How do I reset my password?",
      "I forgot my password and need to change it",
      "The cat sat on the mat",
    ]);
    const close = cosine(question as Float32Array, paraphrase as Float32Array);
    const far = cosine(question as Float32Array, unrelated as Float32Array);
    expect(close).toBeGreaterThan(0.5);
    expect(close).toBeGreaterThan(far + 0.3);
  });

  it("gives the same vector alone and inside a padded batch", async () => {
    const text = "Standing desk with a walnut top";
    const [alone] = await embedder.embed([text]);
    const batch = await embedder.embed([
      "a",
      text,
      "a much longer sentence that forces padding of the shorter ones in the batch",
    ]);
    const inBatch = batch[1] as Float32Array;
    let largest = 0;
    for (let index = 0; index < 384; index++)
      largest = Math.max(largest, Math.abs((alone?.[index] ?? 0) - (inBatch[index] ?? 0)));
    expect(largest).toBeLessThan(1e-5);
  });

  it("batches texts by length and still returns each text's own vector in input order", async () => {
    // Lengths out of order across several batches of 4: sorting moves every text to another batch.
    const texts = Array.from({ length: 11 }, (_, index) => `item ${index} ${"oak shelf ".repeat((index * 7) % 11)}`);
    const options = { ...embedderOptions, batchSize: 4 };
    const byLength = new TransformersEmbedder(options);
    const inOrder = new TransformersEmbedder({ ...options, sortByLength: false });
    try {
      const [sorted, plain] = [await byLength.embed(texts), await inOrder.embed(texts)];
      expect(sorted).toHaveLength(texts.length);
      sorted.forEach((vector, index) => {
        const other = plain[index] as Float32Array;
        expect(Math.max(...vector.map((value, dim) => Math.abs(value - (other[dim] ?? 0))))).toBeLessThan(1e-5);
      });
      // Not trivially equal: neighbouring texts differ.
      expect(cosine(sorted[0] as Float32Array, sorted[1] as Float32Array)).toBeLessThan(0.999);
    } finally {
      await byLength.close();
      await inOrder.close();
    }
  });

  it("handles empty and very long inputs", async () => {
    const [empty, long] = await embedder.embed(["", "word ".repeat(5_000)]);
    expect(empty).toHaveLength(384);
    expect(norm(long as Float32Array)).toBeCloseTo(1, 5);
    expect(await embedder.embed([])).toEqual([]);
    const [count] = await embedder.countTokens(["word ".repeat(5_000)]);
    expect(count).toBe(5_000);
  });
});
