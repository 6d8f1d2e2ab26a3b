import { describe, expect, it } from "vitest";
import { buildPrompt, type HistoryMessage, systemPrompt } from "../../../core/chat/index.js";
import type { VectorMatch } from "../../../core/vectors/index.js";

const match = (id: string, score: number, content: string): VectorMatch => ({
  id,
  content,
  metadata: { source: "shop", table: "products", sku: id },
  relevance_score: score,
});

const history: HistoryMessage[] = [
  { index: 1, role: "user", content: "What does the desk cost?", timestamp: "2026-01-01T00:00:00.000Z" },
  { index: 2, role: "assistant", content: "It costs 199.00 [1].", timestamp: "2026-01-01T00:00:01.000Z" },
];

describe("buildPrompt", () => {
  it("puts the system prompt apart, then history, then numbered documents and the question", () => {
    const prompt = buildPrompt({
      question: "Is it height adjustable?",
      history,
      matches: [match("B", 0.4, "name: Lamp"), match("A", 0.8, "name: Desk\nheight: adjustable")],
      contextTokens: 3_000,
    });
    expect(prompt.request.system).toBe(systemPrompt);
    expect(systemPrompt).toMatch(/only/i);
    expect(systemPrompt).toMatch(/\[1\]/);
    expect(systemPrompt).toMatch(/does not contain/i);
    expect(systemPrompt).toMatch(/numbers/i);
    expect(prompt.request.messages.slice(0, 2)).toEqual([
      { role: "user", content: "What does the desk cost?" },
      { role: "assistant", content: "It costs 199.00 [1]." },
    ]);
    const last = prompt.request.messages.at(-1)?.content ?? "";
    expect(last.indexOf("[1] (source: shop; table: products; sku: A)\nname: Desk")).toBeGreaterThan(-1);
    expect(last.indexOf("[2] (source: shop; table: products; sku: B)")).toBeGreaterThan(last.indexOf("[1]"));
    expect(last.endsWith("Question: Is it height adjustable?")).toBe(true);
    expect(prompt.sources.map((source) => [source.n, source.metadata.sku])).toEqual([
      [1, "A"],
      [2, "B"],
    ]);
    expect(prompt.request.documents).toEqual([
      { n: 1, content: "name: Desk\nheight: adjustable", metadata: { source: "shop", table: "products", sku: "A" } },
      { n: 2, content: "name: Lamp", metadata: { source: "shop", table: "products", sku: "B" } },
    ]);
    expect(prompt.request.question).toBe("Is it height adjustable?");
  });

  it("drops the lowest-scored documents first when the context is over budget", () => {
    const long = (letter: string) => `${letter} `.repeat(400); // ~200 tokens each
    const prompt = buildPrompt({
      question: "q",
      history: [],
      matches: [match("low", 0.1, long("l")), match("high", 0.9, long("h")), match("mid", 0.5, long("m"))],
      contextTokens: 250 + 2 * 230,
    });
    expect(prompt.sources.map((source) => source.metadata.sku)).toEqual(["high", "mid"]);
  });

  it("cuts the best document rather than sending none, and says when nothing matched", () => {
    const cut = buildPrompt({
      question: "q",
      history: [],
      matches: [match("big", 0.9, "x".repeat(40_000))],
      contextTokens: 1_000,
    });
    expect(cut.sources).toHaveLength(1);
    expect(cut.sources[0]?.content.length).toBeLessThan(4_000);
    const none = buildPrompt({ question: "q", history: [], matches: [], contextTokens: 1_000 });
    expect(none.sources).toEqual([]);
    expect(none.request.messages.at(-1)?.content).toContain("none matched");
  });
});
