// `npm run bench -- [sources] [embed] [ingest] [query] [query-spec] [chat] [async] [sync] [cdc] [load]`: runs the named benchmarks (all when none is named),
// writes bench/results/<name>.json and prints a markdown table. Needs `npm run services -- up`.
import { benchAsync } from "./async.bench.js";
import { benchCdc } from "./cdc.bench.js";
import { benchChat } from "./chat.bench.js";
import { benchEmbedding } from "./embed.bench.js";
import { benchIngest } from "./ingest.bench.js";
import { benchLoad } from "./load.bench.js";
import { benchQuery } from "./query.bench.js";
import { benchQuerySpec } from "./query-spec.bench.js";
import { benchSources } from "./sources.bench.js";
import { type BenchResult, report } from "./support.js";
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
};

const requested = process.argv.slice(2).filter((argument) => argument !== "--");
const names = requested.length ? requested : Object.keys(suites);
const unknown = names.filter((name) => !(name in suites));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(suites).join(", ")}`);
  process.exit(2);
}
const results: BenchResult[] = [];
for (const name of names) {
  console.log(`running ${name}…`);
  results.push(...((await suites[name]?.()) ?? []));
}
report(results);
process.exit(0);
