import { describe, expect, it } from "vitest";
import { ExtractiveProvider, type LlmDocument, type LlmRequest } from "../../../core/llm/index.js";
import { quantityWords } from "../../../core/llm/quantity.js";
import { HashingEmbedder } from "../../support/hashing-embedder.js";

/** Standing desks as the samples ingest them: text lines, and the other columns as metadata (CSV text). */
const desks: LlmDocument[] = [
  {
    n: 1,
    content:
      "name: Orbit Standing Desk Plus\ncategory: Office furniture\ndescription: An electric height-adjustable desk…",
    metadata: {
      source: "samples",
      table: "products.csv",
      row_key: "1008",
      id: "1008",
      price: "154.45",
      rating: "3.1",
      added_on: "2026-09-11",
      brand: "Orbit",
    },
  },
  {
    n: 2,
    content: "name: Solace Standing Desk Classic\ncategory: Office furniture",
    metadata: {
      source: "samples",
      table: "products.csv",
      row_key: "1001",
      price: "151.48",
      in_stock: "true",
      added_on: "2026-07-13",
    },
  },
];

const asking = (question: string, documents = desks): LlmRequest => ({
  system: "Answer only from the supplied data.",
  messages: [{ role: "user", content: question }],
  documents,
  question,
});

describe("the extractive provider on questions of quantity", () => {
  const provider = new ExtractiveProvider(new HashingEmbedder());

  it("recognises the words that need a computation over all rows, and not lookalikes", () => {
    expect(quantityWords("What does the cheapest standing desk cost?")).toEqual(["cheapest"]);
    expect(quantityWords("How many desks cost more than 500, and what is the average price per brand?")).toEqual([
      "how many",
      "average",
      "per brand",
    ]);
    for (const question of [
      "What's the total, and the newest and oldest desk?",
      "Count the tents",
      "the most expensive lamp",
      "top 3 blenders by rating",
    ]) {
      expect(quantityWords(question), question).not.toEqual([]);
    }
    for (const question of [
      "How much does the Trailblazer backpack cost?",
      "Is there a discount on the Lumen Standing Desk Max?",
      "What does waterproof mean?",
      "Which backpacks have a rain cover?",
      "How long does standard delivery take?",
    ]) {
      expect(quantityWords(question), question).toEqual([]);
    }
  });

  it("says computing needs a generative model, and shows the matching rows with their numbers and dates, cited", async () => {
    const { text } = await provider.generate(asking("What does the cheapest standing desk cost?"));
    const [notice, ...rows] = text.split("\n");
    expect(notice).toContain('"cheapest"');
    expect(notice).toContain("LLM_PROVIDER=gemini");
    expect(notice).toContain("LLM_PROVIDER=openai");
    expect(rows).toEqual([
      "- name: Orbit Standing Desk Plus (added_on: 2026-09-11, price: 154.45, rating: 3.1) [1]",
      "- name: Solace Standing Desk Classic (added_on: 2026-07-13, price: 151.48) [2]",
    ]);
  });

  it("streams the same answer, and says so when no row matched", async () => {
    const parts: string[] = [];
    for await (const part of provider.stream(asking("How many desks are there?")))
      if (part.type === "text-delta") parts.push(part.text);
    expect(parts.join("")).toBe((await provider.generate(asking("How many desks are there?"))).text);
    const { text } = await provider.generate(asking("What is the average price?", []));
    expect(text).toContain("generative model");
    expect(text).toContain("no rows matched");
  });
});
