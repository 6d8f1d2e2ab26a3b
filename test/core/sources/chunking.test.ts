import { afterAll, describe, expect, it } from "vitest";
import { TransformersEmbedder } from "../../../core/embeddings/index.js";
import { chunkText } from "../../../core/sources/index.js";

describe("chunking with the model's own tokenizer", () => {
  const embedder = new TransformersEmbedder({
    model: "Xenova/all-MiniLM-L6-v2",
    modelDir: ".services/models",
    dtype: "fp32",
    batchSize: 32,
    allowRemote: false,
  });
  const counter = (texts: readonly string[]) => embedder.countTokens(texts);
  afterAll(() => embedder.close());

  it("keeps a short text whole", async () => {
    expect(await chunkText("title: Standing desk\nprice: 120", counter, { maxTokens: 256, overlapTokens: 32 })).toEqual(
      ["title: Standing desk\nprice: 120"],
    );
  });

  it("splits a long text so that no chunk exceeds the window and every word is covered", async () => {
    const words = Array.from({ length: 900 }, (_, index) => `word${index} unbelievably-hyphenated, text.`);
    const text = words.join(" ");
    const chunks = await chunkText(text, counter, { maxTokens: 256, overlapTokens: 32 });
    expect(chunks.length).toBeGreaterThan(5);
    const counts = await counter(chunks);
    for (const count of counts) expect(count).toBeLessThanOrEqual(254);
    const joined = chunks.join(" ");
    for (let index = 0; index < 900; index++) expect(joined).toContain(`word${index} `);
    // Consecutive chunks overlap, so a sentence cut at the border is whole in one of them.
    const lastOfFirst = chunks[0]?.split(" ").at(-1) ?? "";
    expect(chunks[1]).toContain(lastOfFirst);
  });

  it("cuts a single enormous token-run by characters", async () => {
    const hash = "x".repeat(5_000);
    const chunks = await chunkText(hash, counter, { maxTokens: 64, overlapTokens: 8 });
    expect(chunks.join("")).toBe(hash);
    for (const count of await counter(chunks)) expect(count).toBeLessThanOrEqual(62);
  });
});
