import { describe, expect, it } from "vitest";
import { cosineSimilarity, pickPassages, splitIntoPassages } from "../../../core/llm/extractive-passages.js";

describe("splitIntoPassages", () => {
  it("makes each non-empty field line a passage carrying its document number", () => {
    const passages = splitIntoPassages([
      { n: 4, content: "name: Aurora Desk Lamp\n\n  price: 42.50  \r\n---" },
      { n: 7, content: "name: Trailblazer Backpack" },
    ]);
    expect(passages).toEqual([
      { n: 4, text: "name: Aurora Desk Lamp" },
      { n: 4, text: "price: 42.50" },
      { n: 7, text: "name: Trailblazer Backpack" },
    ]);
  });

  it("splits a long line into its sentences", () => {
    const long = `description: ${"A sturdy pack for long hikes in wet weather. ".repeat(4)}It weighs 1.2 kg. Made in Portugal.`;
    const texts = splitIntoPassages([{ n: 1, content: long }]).map((passage) => passage.text);
    expect(texts.length).toBe(6);
    expect(texts).toContain("It weighs 1.2 kg.");
    expect(texts.at(-1)).toBe("Made in Portugal.");
  });
});

describe("pickPassages", () => {
  it("keeps the best passages above the minimum, best first, each text once", () => {
    const picked = pickPassages(
      [
        { n: 1, text: "category: outdoor", score: 0.4 },
        { n: 2, text: "Category:  outdoor", score: 0.6 },
        { n: 2, text: "price: 20", score: 0.9 },
        { n: 3, text: "colour: red", score: 0.1 },
        { n: 3, text: "name: Tent", score: 0.5 },
      ],
      { limit: 3, minimumScore: 0.3 },
    );
    expect(picked.map((passage) => [passage.n, passage.text])).toEqual([
      [2, "price: 20"],
      [2, "Category:  outdoor"],
      [3, "name: Tent"],
    ]);
  });

  it("returns nothing when no passage reaches the minimum", () => {
    expect(pickPassages([{ n: 1, text: "x", score: 0.2 }], { limit: 3, minimumScore: 0.3 })).toEqual([]);
  });
});

describe("cosineSimilarity", () => {
  it("is the dot product of unit vectors", () => {
    expect(cosineSimilarity(Float32Array.of(1, 0), Float32Array.of(0, 1))).toBe(0);
    expect(cosineSimilarity(Float32Array.of(0.6, 0.8), Float32Array.of(0.6, 0.8))).toBeCloseTo(1, 6);
  });
});

describe("questions are not answers", () => {
  it("drops question lines, which resemble the user's question but answer nothing", () => {
    const passages = splitIntoPassages([
      { n: 1, content: "title: How long does delivery take?\nbody: Standard delivery takes 3 to 5 business days." },
      { n: 2, content: "title: Do you ship abroad? (update 2)" },
    ]);
    expect(passages.map((passage) => passage.text)).toEqual(["body: Standard delivery takes 3 to 5 business days."]);
  });
});
