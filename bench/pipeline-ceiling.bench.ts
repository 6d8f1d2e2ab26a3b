// `npm run bench -- pipeline-ceiling` (issue 22, item 2): the async pipeline end to end with the model
// replaced by the hash embedder (EMBEDDING_PROVIDER=hash), one process of each worker: what the pipeline
// itself carries once embedding has scaled out. Method and figures: docs/performance-scale.md.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import pg from "pg";
import { z } from "zod";
import { loadConfig } from "../core/config/index.js";
import { type AppContext, createAppContext } from "../core/context/index.js";
import { prepareRow } from "../core/ingest/index.js";
import { createLogger } from "../core/logging/index.js";
import { allTopics, ensureTopics } from "../core/messaging/index.js";
import { resolveSelection } from "../core/sources/index.js";
import { createIngestAsyncApp } from "../functions/http/ingest-async.js";
import { scratchDatabase } from "../test/support/scratch-database.js";
import { runEnvironment, testServices, uniqueName } from "../test/support/services.js";
import { createBenchTable } from "./ingest.bench.js";
import { dropRedisKeys } from "./redis-keys.js";
import { type BenchResult, expectMeasured, machineConditions, mb } from "./support.js";

const rows = Number(process.env.BENCH_CEILING_ROWS ?? 50_000);
/** 0: no keyword index (vectors only), to see what its writes cost. */
const keywordIndex = process.env.BENCH_CEILING_KEYWORDS !== "0";
/** Unset: the service's default EMBEDDING_GROUP_SIZE. */
const groupSize = process.env.BENCH_CEILING_GROUP_SIZE;
const root = path.resolve(import.meta.dirname, "..");
const table = "ceiling";
const source = "benchceiling";
const workers = ["ingestion-worker", "embedding-worker", "status-consumer"] as const;
type Worker = (typeof workers)[number];

/** A port nothing listens on now, for one worker process's /metrics. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A process's peak resident memory (VmHWM) in bytes, as the kernel counts it. */
function peakRss(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

/** `_sum` and `_count` of each series of a histogram in a Prometheus text exposition, keyed by its labels. */
function histogram(text: string, name: string): Map<string, { seconds: number; count: number }> {
  const series = new Map<string, { seconds: number; count: number }>();
  for (const match of text.matchAll(new RegExp(`^${name}_(sum|count)\\{([^}]*)\\} (\\S+)$`, "gm"))) {
    const entry = series.get(match[2] ?? "") ?? { seconds: 0, count: 0 };
    if (match[1] === "sum") entry.seconds = Number(match[3]);
    else entry.count = Number(match[3]);
    series.set(match[2] ?? "", entry);
  }
  return series;
}

function counter(text: string, name: string, labels: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return Number(line?.split(" ").at(-1) ?? 0);
}

/** Waits until every worker's consumer group is stable with a member holding partitions. */
async function groupsStable(context: AppContext, groupPrefix: string): Promise<void> {
  const admin = context.kafka?.admin();
  if (!admin) throw new Error("the pipeline-ceiling bench needs Kafka");
  await admin.connect();
  try {
    for (let attempt = 0; attempt < 240; attempt++) {
      const { groups } = await admin.describeGroups(workers.map((name) => `${groupPrefix}-${name}`));
      const stable = groups.filter(
        (group) => group.state === "Stable" && group.members.some((member) => member.memberAssignment.length > 0),
      );
      if (stable.length === workers.length) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error("the worker processes' consumer groups did not settle within two minutes");
  } finally {
    await admin.disconnect();
  }
}

/** Time to read the table alone, and to read and chunk it, in this process: the ingestion worker's own work. */
async function readAlone(context: AppContext): Promise<{ read: number; readAndChunk: number }> {
  const connector = context.sources.get(source);
  const selection = resolveSelection(source, await connector.describe(table), { textFields: ["body"] });
  const request = { table, fields: selection.readFields, batchSize: 1_000 };
  let started = performance.now();
  let count = 0;
  for await (const _ of connector.stream(request)) count++;
  const read = (performance.now() - started) / 1000;
  const chunking = {
    maxTokens: context.settings.CHUNK_MAX_TOKENS,
    overlapTokens: context.settings.CHUNK_OVERLAP_TOKENS,
  };
  started = performance.now();
  for await (const row of connector.stream(request))
    await prepareRow(row, { source, table, ...selection }, context.embedder, chunking);
  expectMeasured("pipeline-ceiling", { [`read ${count} of ${rows} rows alone`]: count === rows });
  return { read, readAndChunk: (performance.now() - started) / 1000 };
}

/**
 * `rows` of bench.ceiling through /ingest-data-async → data-ingestion → ingestion worker → embedding-requests
 * → embedding worker (hash embedder, Chroma upsert, keyword index) → batch-status → status consumer → Redis,
 * each worker a process of its own as `npm run workers -- <name>` starts it.
 */
export async function benchPipelineCeiling(): Promise<BenchResult[]> {
  await createBenchTable(rows, table);
  const keywords = keywordIndex ? await scratchDatabase("ceiling") : undefined;
  const run = uniqueName("benchceiling").replace(/-/g, "_");
  const environment: Record<string, string> = {
    ...runEnvironment(run),
    EMBEDDING_PROVIDER: "hash",
    SEARCH_DATABASE_URL: keywords?.url ?? "",
    METRICS_MODE: "prometheus",
    ...(groupSize ? { EMBEDDING_GROUP_SIZE: groupSize } : {}),
    SOURCES: JSON.stringify([{ name: source, kind: "postgresql", url: testServices.postgresUrl, schema: "bench" }]),
  };
  const settings = loadConfig({ env: environment });
  const context = createAppContext(settings, createLogger(settings));
  const children = new Map<Worker, { child: ChildProcess; port: number }>();
  const vectors = context.requireVectors().vectors;
  try {
    await context.embedder.warmUp();
    await vectors.deleteSource(source);
    if (!context.kafka) throw new Error("the pipeline-ceiling bench needs Kafka");
    // Created here once, before three processes race to create them.
    await ensureTopics(context.kafka, settings.KAFKA_TOPIC_PARTITIONS, settings.KAFKA_TOPIC_PREFIX);
    for (const name of workers) {
      const port = await freePort();
      const child = spawn(process.execPath, ["--import", "tsx", "functions/local/workers-main.ts", name], {
        cwd: root,
        env: { ...process.env, ...environment, WORKERS_METRICS_PORT: String(port) },
        stdio: ["ignore", "ignore", "inherit"],
      });
      children.set(name, { child, port });
    }
    await groupsStable(context, run);

    const started = performance.now();
    const queued = await createIngestAsyncApp(() => context).request("/ingest-data-async", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ source, table_or_collection: table, text_fields: ["body"] }),
    });
    expectMeasured("pipeline-ceiling", { [`/ingest-data-async answered ${queued.status}`]: queued.status === 202 });
    const { batch_id: batchId } = z.object({ batch_id: z.string() }).parse(await queued.json());
    let status = await context.batches.get(batchId);
    let reported = started;
    while (!status || !["completed", "completed_with_errors", "failed"].includes(status.status)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const exited = [...children].filter(([, { child }]) => child.exitCode !== null).map(([name]) => name);
      if (exited.length) throw new Error(`worker process(es) exited during the run: ${exited.join(", ")}`);
      status = await context.batches.get(batchId);
      if (performance.now() - reported > 10_000 && status) {
        reported = performance.now();
        const seconds = (reported - started) / 1000;
        const rate = status.processed_documents / seconds;
        console.log(
          `  ${status.processed_documents} of ${rows} rows in ${Math.round(seconds)} s, ${Math.round(rate * 60)} docs/min, ETA ${Math.round((rows - status.processed_documents) / Math.max(rate, 1))} s`,
        );
      }
    }
    const seconds = (performance.now() - started) / 1000;

    const stored = await vectors.count(source);
    const indexed = keywords ? await countKeywordRows(keywords.url) : rows;
    const scraped = Object.fromEntries(
      await Promise.all(
        [...children].map(async ([name, { port }]) => {
          const response = await fetch(`http://127.0.0.1:${port}/metrics`);
          return [name, await response.text()] as const;
        }),
      ),
    ) as Record<Worker, string>;
    const peaks = Object.fromEntries([...children].map(([name, { child }]) => [name, peakRss(child.pid)])) as Record<
      Worker,
      number
    >;
    const requests = counter(
      scraped["ingestion-worker"],
      "cwd_kafka_messages_produced_total",
      'topic="embedding-requests",outcome="ok"',
    );
    const consumed = counter(
      scraped["embedding-worker"],
      "cwd_kafka_messages_consumed_total",
      'topic="embedding-requests",outcome="ok"',
    );
    expectMeasured("pipeline-ceiling", {
      [`the batch ended ${status.status}`]: status.status === "completed",
      [`the batch counted ${status.processed_documents} processed, ${status.failed_documents} failed, total ${status.total_documents}, of ${rows} rows`]:
        status.processed_documents === rows && status.total_documents === rows && status.failed_documents === 0,
      [`Chroma holds ${stored} vectors for ${rows} rows`]: stored === rows && rows > 0,
      [`the keyword index holds ${indexed} rows for ${rows}`]: indexed === rows,
      [`${consumed} embedding requests consumed for ${requests} produced`]: consumed === requests && requests > 0,
    });
    const alone = await readAlone(context);

    const stage = (worker: Worker, metric: string, labels: string) =>
      histogram(scraped[worker], metric).get(labels) ?? { seconds: 0, count: 0 };
    const ingestion = stage("ingestion-worker", "cwd_kafka_handler_duration_seconds", 'topic="data-ingestion"');
    const embedding = stage("embedding-worker", "cwd_kafka_handler_duration_seconds", 'topic="embedding-requests"');
    const chroma = stage("embedding-worker", "cwd_vector_store_duration_seconds", 'operation="upsert"');
    const keywordWrites = stage("embedding-worker", "cwd_keyword_index_duration_seconds", 'operation="upsert"');
    const statusWrites = stage("status-consumer", "cwd_kafka_handler_duration_seconds", 'topic="batch-status"');
    const round = (value: number) => Math.round(value * 100) / 100;
    return [
      {
        name: "pipeline-ceiling",
        conditions: {
          rows,
          path: "POST /ingest-data-async → data-ingestion → ingestion worker (reads bench.ceiling) → embedding-requests → embedding worker (hash embedder, Chroma upsert, keyword index) → batch-status → status consumer (Redis); one process of each worker, spawned as `npm run workers -- <name>`",
          embedder: "EMBEDDING_PROVIDER=hash (the model's tokenizer, hashed token ids)",
          keyword_index: keywordIndex ? "on (a scratch database of its own, GIN)" : "off",
          group_size: settings.EMBEDDING_GROUP_SIZE,
          partitions: settings.KAFKA_TOPIC_PARTITIONS,
          embedding_requests: requests,
          timing:
            "end to end: from POST /ingest-data-async until the batch status reads completed (polled every 100 ms); stages: each worker's own histograms (cwd_kafka_handler_duration_seconds per topic, cwd_vector_store_duration_seconds and cwd_keyword_index_duration_seconds for upserts) scraped from its /metrics after the run; read alone and read+chunk timed in the bench process after the run",
          goal: "≥ 20,000 documents a minute end to end",
          ...machineConditions(),
        },
        metrics: {
          documents_per_minute: Math.round((rows / seconds) * 60),
          seconds: round(seconds),
          ingestion_worker_busy_seconds: round(ingestion.seconds),
          embedding_worker_busy_seconds: round(embedding.seconds),
          chroma_upsert_seconds: round(chroma.seconds),
          chroma_upserts: chroma.count,
          keyword_upsert_seconds: round(keywordWrites.seconds),
          embedding_worker_other_seconds: round(embedding.seconds - chroma.seconds - keywordWrites.seconds),
          status_consumer_busy_seconds: round(statusWrites.seconds),
          status_events: statusWrites.count,
          read_alone_seconds: round(alone.read),
          read_and_chunk_seconds: round(alone.readAndChunk),
          ingestion_worker_peak_rss_mb: mb(peaks["ingestion-worker"]),
          embedding_worker_peak_rss_mb: mb(peaks["embedding-worker"]),
          status_consumer_peak_rss_mb: mb(peaks["status-consumer"]),
        },
      },
    ];
  } finally {
    // Also when a check failed: the worker processes must not outlive the run.
    await Promise.all(
      [...children.values()].map(
        ({ child }) =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve(undefined);
            child.once("exit", resolve);
            child.kill("SIGTERM");
          }),
      ),
    );
    await vectors.deleteSource(source).catch(() => undefined);
    const admin = context.kafka?.admin();
    if (admin) {
      await admin.connect();
      await admin.deleteTopics({ topics: allTopics.map((topic) => `${run}.${topic}`) }).catch(() => undefined);
      await admin.deleteGroups(workers.map((name) => `${run}-${name}`)).catch(() => undefined);
      await admin.disconnect();
    }
    await dropRedisKeys(context, `${run}:`);
    await context.close();
    await keywords?.drop();
    const pool = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
    await pool.query(`DROP TABLE IF EXISTS bench.${table}`);
    await pool.end();
  }
}

async function countKeywordRows(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const result = await pool.query<{ count: string }>("SELECT count(*) FROM keyword_chunks WHERE source = $1", [
      source,
    ]);
    return Number(result.rows[0]?.count);
  } finally {
    await pool.end();
  }
}
