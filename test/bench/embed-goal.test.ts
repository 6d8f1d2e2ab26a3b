import { describe, expect, it } from "vitest";
import { embedGoal } from "../../bench/embed-goal.js";

const result = (name: string, metrics: Record<string, number>) => ({ name, conditions: {}, metrics });

describe("the embedder goal row of a bench run", () => {
  it("compares the embedder and the ingest pipeline with the bare session of the same run", () => {
    const goal = embedGoal([
      result("embed-bare", { texts_per_second: 150 }),
      result("embed", { texts_per_second: 180 }),
      result("ingest", { documents_per_second: 140 }),
    ]);
    expect(goal?.metrics).toEqual({ embed_ratio_to_bare: 1.2, ingest_ratio_to_bare: 0.933, goal_met: 1 });
    expect(goal?.conditions.cpu).toEqual(expect.any(String));
  });

  it("reports the goal missed when the pipeline falls below 0.9x", () => {
    const goal = embedGoal([
      result("embed-bare", { texts_per_second: 100 }),
      result("embed", { texts_per_second: 96 }),
      result("ingest", { documents_per_second: 89 }),
    ]);
    expect(goal?.metrics.goal_met).toBe(0);
  });

  it("judges the goal before rounding", () => {
    const goal = embedGoal([
      result("embed-bare", { texts_per_second: 165.9 }),
      result("embed", { texts_per_second: 181.3 }),
      result("ingest", { documents_per_second: 148.5 }),
    ]);
    expect(goal?.metrics).toEqual({ embed_ratio_to_bare: 1.093, ingest_ratio_to_bare: 0.895, goal_met: 0 });
  });

  it("is absent unless both benchmarks ran", () => {
    expect(
      embedGoal([result("embed-bare", { texts_per_second: 150 }), result("embed", { texts_per_second: 180 })]),
    ).toBe(undefined);
  });
});
