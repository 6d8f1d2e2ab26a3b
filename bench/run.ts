// `npm run bench -- [sources] [embed] [ingest] [query] [query-spec] [chat] [async] [sync] [cdc] [load] [retrieval]
// [retrieval-latency] [retrieval-quality] [relations] [coldstart] [peers] [pipeline-ceiling] [scale]`: runs the
// named benchmarks (all when none is named), writes bench/results/<name>.json and prints a markdown table.
// Needs `npm run services -- up`. A benchmark that fails, or whose figures are not all finite numbers, is
// reported and makes the run exit 1; the others' results are still written.
import { benchAsync } from "./async.bench.js";
import { benchCdc } from "./cdc.bench.js";
import { benchChat } from "./chat.bench.js";
import { benchColdstart } from "./coldstart.bench.js";
import { benchEmbedding } from "./embed.bench.js";
import { embedGoal } from "./embed-goal.js";
import { benchIngest } from "./ingest.bench.js";
import { benchLoad } from "./load.bench.js";
import { benchPeers } from "./peers.bench.js";
import { benchPipelineCeiling } from "./pipeline-ceiling.bench.js";
import { benchQuery } from "./query.bench.js";
import { benchQuerySpec } from "./query-spec.bench.js";
import { benchRelations } from "./relations.bench.js";
import { benchRetrieval, benchRetrievalLatency, benchRetrievalQuality } from "./retrieval.bench.js";
import { benchScale } from "./scale.bench.js";
import { benchSources } from "./sources.bench.js";
import { BenchIncompleteError, type BenchResult, invalidMetrics, report } from "./support.js";
import { benchSync } from "./sync.bench.js";

const suites: Record<string, () => Promise<BenchResult[]>> = {
  sources: benchSources,
  embed: benchEmbedding,
  ingest: benchIngest,
  query: benchQuery,
  "query-spec": benchQuerySpec,
  chat: benchChat,
  async: benchAsync,
  sync: benchSync,
  cdc: benchCdc,
  load: benchLoad,
  retrieval: benchRetrieval,
  "retrieval-latency": benchRetrievalLatency,
  "retrieval-quality": benchRetrievalQuality,
  relations: benchRelations,
  coldstart: benchColdstart,
  peers: benchPeers,
  "pipeline-ceiling": benchPipelineCeiling,
  scale: benchScale,
};

const requested = process.argv.slice(2).filter((argument) => argument !== "--");
const names = requested.length ? requested : Object.keys(suites);
const unknown = names.filter((name) => !(name in suites));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(suites).join(", ")}`);
  process.exit(2);
}
const results: BenchResult[] = [];
const failures: string[] = [];
for (const name of names) {
  console.log(`running ${name}…`);
  const started = performance.now();
  try {
    const measured = (await suites[name]?.()) ?? [];
    console.log(`  ${name} took ${Math.round((performance.now() - started) / 1000)} s`);
    const invalid = measured.flatMap(invalidMetrics);
    if (!measured.length) throw new BenchIncompleteError(`${name} returned no results`);
    if (invalid.length)
      throw new BenchIncompleteError(`${name} has figures that are not numbers: ${invalid.join(", ")}`);
    results.push(...measured);
  } catch (error) {
    // Later benchmarks still run and earlier results are still written: one failure costs only its own figures.
    const message = error instanceof BenchIncompleteError ? error.message : `${name} failed: ${String(error)}`;
    failures.push(message);
    console.error(message);
    if (!(error instanceof BenchIncompleteError) && error instanceof Error && error.stack) console.error(error.stack);
  }
}
const goal = embedGoal(results);
if (goal) results.push(goal);
report(results);
if (failures.length) {
  console.error(`\n${failures.length} benchmark(s) failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
process.exit(0);
