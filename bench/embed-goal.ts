import { type BenchResult, machineConditions } from "./support.js";

/**
 * Issue 22's goal for the embedder, which needs two benchmarks of one run (`npm run bench -- embed ingest`):
 * the embedder ≥ 0.95× and the whole ingestion pipeline ≥ 0.9× of a bare onnxruntime session, on whatever
 * CPU ran them (named in the conditions). Undefined when either benchmark is missing from the run.
 */
export function embedGoal(results: readonly BenchResult[]): BenchResult | undefined {
  const metric = (name: string, key: string) => results.find((result) => result.name === name)?.metrics[key];
  const bare = metric("embed-bare", "texts_per_second");
  const embed = metric("embed", "texts_per_second");
  const ingest = metric("ingest", "documents_per_second");
  if (!bare || embed === undefined || ingest === undefined) return undefined;
  // Three decimals, and the goal judged before rounding: 0.895 is not 0.9.
  const ratio = (value: number) => Math.round((value / bare) * 1000) / 1000;
  return {
    name: "embed-goal",
    conditions: { goal: "embed >= 0.95x and ingest >= 0.9x of embed-bare, one run", ...machineConditions() },
    metrics: {
      embed_ratio_to_bare: ratio(embed),
      ingest_ratio_to_bare: ratio(ingest),
      goal_met: embed / bare >= 0.95 && ingest / bare >= 0.9 ? 1 : 0,
    },
  };
}
