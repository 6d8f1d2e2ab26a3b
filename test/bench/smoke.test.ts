import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

/** Tiny sizes for every benchmark, through the settings each already reads for its size. */
const tinySizes = {
  BENCH_PG_ROWS: "300",
  BENCH_MONGO_DOCS: "300",
  BENCH_TEXTS: "16",
  BENCH_BATCH: "8",
  BENCH_ROUNDS: "1",
  BENCH_INGEST_ROWS: "40",
  BENCH_VECTORS: "300",
  BENCH_QUERIES: "3",
  BENCH_CHAT_REQUESTS: "3",
  BENCH_ASYNC_ROWS: "40",
  BENCH_ASYNC_SETTLE_SECONDS: "1",
  BENCH_SYNC_ROWS: "500",
  BENCH_CDC_ROWS: "20",
  BENCH_CDC_BURST: "20",
  BENCH_CDC_SINGLES: "2",
  BENCH_LOAD_SECONDS: "1",
  BENCH_LOAD_WARMUP_SECONDS: "1",
  BENCH_LOAD_STREAM_CLIENTS: "2",
  BENCH_LOAD_SEARCH_CLIENTS: "2",
  BENCH_LOAD_SETTLE_SECONDS: "0",
  BENCH_QUERY_ROWS: "500",
  BENCH_QUERY_DOCUMENTS: "100",
  BENCH_QUERY_RUNS: "1",
  BENCH_RETRIEVAL_PAGES: "30",
  BENCH_RETRIEVAL_QUERIES: "6",
  BENCH_RETRIEVAL_CHUNKS: "200",
  BENCH_RETRIEVAL_LATENCY_QUERIES: "3",
  BENCH_RELATIONS_ORDERS: "40",
  BENCH_RELATIONS_RENAMES: "2",
  BENCH_CEILING_ROWS: "200",
  BENCH_SCALE_VECTORS: "300",
  BENCH_SCALE_PAGES: "30",
  BENCH_SCALE_QUERIES: "3",
  BENCH_SCALE_SMALL_VECTORS: "20",
};

/**
 * What each benchmark writes, so a bench that silently returns nothing is caught too. All but
 * `coldstart`: it packages with serverless in the project's own work folders (.esbuild, .build),
 * which test/deploy/serverless-package.test.ts uses at the same time, and that test already runs
 * every bundle on a Lambda-shaped event.
 */
const expectedResults: Record<string, string[]> = {
  sources: ["sources-postgres", "sources-mongodb"],
  embed: ["embed-bare", "embed", "embed-mixed", "embed-concurrent", "embed-workers"],
  ingest: ["ingest"],
  query: ["query", "query-filtered"],
  "query-spec": ["no-index", "category-index"]
    .flatMap((index) => ["count+avg", "cheapest", "sum"].map((query) => `query-spec-postgres-${index}-${query}`))
    .concat(["count+avg", "cheapest", "sum"].map((query) => `query-spec-mongo-${query}`)),
  chat: ["chat"],
  async: ["async"],
  sync: ["sync", "audit"],
  cdc: ["cdc"],
  load: ["load-chat-stream", "load-search", "load-memory"],
  retrieval: ["retrieval-quality", "retrieval-fusion", "retrieval-latency"],
  "retrieval-latency": ["retrieval-latency"],
  "retrieval-quality": ["retrieval-quality", "retrieval-fusion"],
  relations: ["relations", "relations-cdc"],
  "pipeline-ceiling": ["pipeline-ceiling"],
  scale: ["scale"],
};
const benches = Object.keys(expectedResults);
/**
 * Three runs side by side, to keep the smoke test short (much of each is waiting on a service):
 * the pipeline benches (which share the bench.ingest table and wait on Kafka and Kafka Connect),
 * the retrieval benches (their own tables and sources; one after the other, as they build the same corpus),
 * and the rest.
 */
const pipelineBenches = ["ingest", "async", "sync", "cdc"];
const corpusBenches = ["retrieval", "retrieval-latency", "retrieval-quality", "scale"];
const runs = [
  benches.filter((name) => !pipelineBenches.includes(name) && !corpusBenches.includes(name)),
  pipelineBenches,
  corpusBenches,
];

/** Runs bench/run.ts with `names` in its own process, as `npm run bench -- <names>` does. */
function runBench(names: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--expose-gc", "bench/run.ts", ...names], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

/**
 * Every benchmark once at tiny sizes, through bench/run.ts as `npm run bench` runs them (three runs at once):
 * each must exit cleanly and write finite figures. Speeds are not checked (benchmarks measure
 * them; a test must not), only that each measured what it names.
 */
describe("npm run bench at tiny sizes", () => {
  let folder = "";
  let outcomes: { code: number | null; output: string }[] = [];

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "bench-smoke-"));
    outcomes = await Promise.all(runs.map((names) => runBench(names, { ...tinySizes, BENCH_RESULTS_DIR: folder })));
  }, 600_000);

  afterAll(() => rm(folder, { recursive: true, force: true }));

  it("exits 0 with no benchmark failed", () => {
    for (const run of outcomes) {
      expect(run.output).not.toMatch(/benchmark\(s\) failed/);
      expect(run.code, run.output.slice(-3_000)).toBe(0);
    }
  });

  it.each(benches)("%s writes its results, every figure a finite number", async (bench) => {
    const written = await readdir(folder);
    for (const name of expectedResults[bench] ?? []) {
      expect(written, `${name}.json`).toContain(`${name}.json`);
      const result = JSON.parse(await readFile(path.join(folder, `${name}.json`), "utf8"));
      const metrics = Object.entries(result.metrics as Record<string, unknown>);
      expect(metrics.length, name).toBeGreaterThan(0);
      for (const [metric, value] of metrics) expect(Number.isFinite(value), `${name}.${metric} = ${value}`).toBe(true);
    }
  });
});

describe("npm run bench when one benchmark fails", () => {
  it("exits 1 naming it and still writes the others' results", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "bench-failing-"));
    try {
      // Zero rows: the ingest bench measures nothing and must say so; the query bench still runs after it.
      const run = await runBench(["ingest", "query"], {
        ...tinySizes,
        BENCH_INGEST_ROWS: "0",
        BENCH_RESULTS_DIR: folder,
      });
      expect(run.code, run.output.slice(-2_000)).toBe(1);
      expect(run.output).toMatch(/1 benchmark\(s\) failed:\n- ingest /);
      expect((await readdir(folder)).sort()).toEqual(["query-filtered.json", "query.json"]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 120_000);
});
