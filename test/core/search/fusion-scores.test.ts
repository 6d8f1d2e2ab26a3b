import { describe, expect, it } from "vitest";
import { type FusionSettings, fuse, type Ranked } from "../../../core/search/fusion.js";

/** Ids best first, as search orders them: score, then id. */
const order = (fused: Map<string, number>) =>
  [...fused.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([id]) => id);

const weighted = (vectorWeight: number): FusionSettings => ({ method: "weighted", vectorWeight, rrfK: 60 });
const rrf = (rrfK: number): FusionSettings => ({ method: "rrf", vectorWeight: 0.5, rrfK });

function expectScores(fused: Map<string, number>, expected: Record<string, number>) {
  expect([...fused.keys()].sort()).toEqual(Object.keys(expected).sort());
  for (const [id, score] of Object.entries(expected)) expect(fused.get(id), id).toBeCloseTo(score, 12);
}

describe("fuse: weighted (docs/retrieval.md, Fusion)", () => {
  // Vector min-max over [0.9, 0.1]: a 1, b 0.75, c 0.5, e 0. Keyword over [5, 1]: d 1, b 0.5, f 0.
  const vector: Ranked[] = [
    { id: "a", score: 0.9 },
    { id: "b", score: 0.7 },
    { id: "c", score: 0.5 },
    { id: "e", score: 0.1 },
  ];
  const keyword: Ranked[] = [
    { id: "d", score: 5 },
    { id: "b", score: 3 },
    { id: "f", score: 1 },
  ];

  it("adds min-max normalised scores with HYBRID_VECTOR_WEIGHT and 1 − it; a side that missed an id adds 0", () => {
    const fused = fuse(vector, keyword, weighted(0.6));
    // a: 0.6·1; b: 0.6·0.75 + 0.4·0.5; c: 0.6·0.5; d (keyword only): 0.4·1; e, f: 0.
    expectScores(fused, { a: 0.6, b: 0.65, c: 0.3, d: 0.4, e: 0, f: 0 });
    expect(order(fused)).toEqual(["b", "a", "d", "c", "e", "f"]);
  });

  it("the weight moves the order: 0.9 favours the vector side, 0.2 the keyword side", () => {
    // a: 0.9; b: 0.675 + 0.05; c: 0.45; d: 0.1.
    const vectorHeavy = fuse(vector, keyword, weighted(0.9));
    expectScores(vectorHeavy, { a: 0.9, b: 0.725, c: 0.45, d: 0.1, e: 0, f: 0 });
    expect(order(vectorHeavy)).toEqual(["a", "b", "c", "d", "e", "f"]);
    // a: 0.2; b: 0.15 + 0.4; c: 0.1; d: 0.8.
    const keywordHeavy = fuse(vector, keyword, weighted(0.2));
    expectScores(keywordHeavy, { a: 0.2, b: 0.55, c: 0.1, d: 0.8, e: 0, f: 0 });
    expect(order(keywordHeavy)).toEqual(["d", "b", "a", "c", "e", "f"]);
  });

  it("a side whose scores are all equal counts each as 1; equal fused scores tie", () => {
    // Keyword scores all 2: each 1. Vector over [0.8, 0.4]: p 1, q 0.
    const fused = fuse(
      [
        { id: "p", score: 0.8 },
        { id: "q", score: 0.4 },
      ],
      [
        { id: "q", score: 2 },
        { id: "r", score: 2 },
      ],
      weighted(0.5),
    );
    expectScores(fused, { p: 0.5, q: 0.5, r: 0.5 });
    expect(fused.get("p")).toBe(fused.get("q"));
    expect(fused.get("q")).toBe(fused.get("r"));
  });

  it("one side empty: the other side's normalised scores times its weight", () => {
    expectScores(fuse(vector, [], weighted(0.6)), { a: 0.6, b: 0.45, c: 0.3, e: 0 });
    expectScores(fuse([], keyword, weighted(0.6)), { d: 0.4, b: 0.2, f: 0 });
    expect(fuse([], [], weighted(0.5)).size).toBe(0);
  });
});

describe("fuse: reciprocal rank fusion, Σ 1/(HYBRID_RRF_K + rank)", () => {
  it("adds 1/(k + rank) from each list that ranked an id, ignoring the scores themselves", () => {
    const fused = fuse(
      [
        { id: "a", score: 0.99 },
        { id: "b", score: 0.5 },
        { id: "c", score: 0.01 },
      ],
      [
        { id: "c", score: 40 },
        { id: "d", score: 2 },
        { id: "a", score: 0.001 },
      ],
      rrf(60),
    );
    expect(fused).toEqual(
      new Map([
        ["a", 1 / 61 + 1 / 63],
        ["b", 1 / 62],
        ["c", 1 / 63 + 1 / 61],
        // d: found by the keyword side only, at rank 2.
        ["d", 1 / 62],
      ]),
    );
    // a and c tie (ranks 1 and 3 each), b and d tie (rank 2 on one side): ties break by id.
    expect(fused.get("a")).toBe(fused.get("c"));
    expect(fused.get("b")).toBe(fused.get("d"));
    expect(order(fused)).toEqual(["a", "c", "b", "d"]);
  });

  it("k sets how much a top rank counts: with k 1, rank 1 on one side beats ranks 2 and 3 on both", () => {
    const fused = fuse(
      [
        { id: "x", score: 1 },
        { id: "y", score: 0.9 },
        { id: "z", score: 0.8 },
      ],
      [
        { id: "w", score: 9 },
        { id: "z", score: 8 },
        { id: "y", score: 7 },
      ],
      rrf(1),
    );
    expect(fused).toEqual(
      new Map([
        ["x", 1 / 2],
        ["y", 1 / 3 + 1 / 4],
        ["z", 1 / 4 + 1 / 3],
        ["w", 1 / 2],
      ]),
    );
    expect(order(fused)).toEqual(["y", "z", "w", "x"]);
    // With k 60 the same ranks put the ids found twice first by a wider margin, and x, w still tie.
    const wide = fuse(
      [
        { id: "x", score: 1 },
        { id: "y", score: 0.9 },
      ],
      [{ id: "w", score: 9 }],
      rrf(60),
    );
    expect(wide).toEqual(
      new Map([
        ["x", 1 / 61],
        ["y", 1 / 62],
        ["w", 1 / 61],
      ]),
    );
  });
});
