import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { loadConfig } from "../core/config/index.js";
import { createAppContext } from "../core/context/index.js";
import { ingestTable, queueIngestion } from "../core/ingest/index.js";
import { createLogger } from "../core/logging/index.js";
import { allTopics } from "../core/messaging/index.js";
import { startWorkers } from "../functions/local/workers.js";
import { runEnvironment, testServices, uniqueName } from "../test/support/services.js";
import { createBenchTable } from "./ingest.bench.js";
import { type BenchResult, expectMeasured } from "./support.js";

const rows = Number(process.env.BENCH_ASYNC_ROWS ?? 50_000);
/** Time for the consumer group to settle with every member before timing; the smoke test shortens it. */
const settleSeconds = Number(process.env.BENCH_ASYNC_SETTLE_SECONDS ?? 15);
const root = path.resolve(import.meta.dirname, "..");

/**
 * The same table through /ingest-data's pipeline and through Kafka with one and with two
 * embedding worker processes (the ingestion worker and status consumer run in this process).
 */
export async function benchAsync(): Promise<BenchResult[]> {
  await createBenchTable(rows);
  const run = uniqueName("benchasync").replace(/-/g, "_");
  const environment = {
    ...runEnvironment(run),
    SYNC_INGEST_MAX_ROWS: String(rows),
    SOURCES: JSON.stringify([
      // One source per run: a worker that wrote a collection keeps its handle, so a run must not
      // delete and recreate the collection another run's worker still holds.
      ...["benchasync", "benchasync1", "benchasync2"].map((name) => ({
        name,
        kind: "postgresql",
        url: testServices.postgresUrl,
        schema: "bench",
      })),
    ]),
  };
  const settings = loadConfig({ env: environment });
  const context = createAppContext(settings, createLogger(settings));
  if (!context.vectors) throw new Error("Chroma is required");
  const vectors = context.vectors;
  await context.embedder.warmUp();
  const request = { source: "benchasync", table: "ingest", textFields: ["body"] };

  await vectors.deleteSource("benchasync");
  let started = performance.now();
  const ingested = await ingestTable({ ...context, vectors }, request);
  expectMeasured("async", {
    [`ingested ${ingested.documents} of ${rows} rows`]: ingested.documents === rows && rows > 0,
  });
  const syncRate = rows / ((performance.now() - started) / 1000);

  const local = await startWorkers(context, ["ingestion-worker", "status-consumer"]);
  const children: ChildProcess[] = [];
  const asyncRate = async (workers: number) => {
    const source = `benchasync${workers}`;
    await vectors.deleteSource(source);
    while (children.length < workers) {
      children.push(
        spawn(process.execPath, ["--import", "tsx", "functions/local/workers-main.ts", "embedding-worker"], {
          cwd: root,
          env: { ...process.env, ...environment },
          stdio: "ignore",
        }),
      );
    }
    // Let the group settle with every member before timing.
    await new Promise((resolve) => setTimeout(resolve, settleSeconds * 1_000));
    started = performance.now();
    const { batch_id } = await queueIngestion(context, { ...request, source });
    let final = "";
    for (;;) {
      const status = await context.batches.get(batch_id);
      if (status && ["completed", "completed_with_errors", "failed"].includes(status.status)) {
        final = status.status;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const rate = rows / ((performance.now() - started) / 1000);
    const stored = await vectors.count(source);
    expectMeasured("async", {
      [`the batch with ${workers} worker(s) ended ${final}`]: final === "completed",
      [`${stored} of ${rows} vectors stored with ${workers} worker(s)`]: stored === rows,
    });
    return rate;
  };
  let oneWorker: number;
  let twoWorkers: number;
  try {
    oneWorker = await asyncRate(1);
    twoWorkers = await asyncRate(2);
  } finally {
    // Also when a check failed: the worker processes must not outlive the run.
    for (const child of children) child.kill("SIGTERM");
    await local.stop();
    for (const source of ["benchasync", "benchasync1", "benchasync2"]) await vectors.deleteSource(source);
    const admin = context.kafka?.admin();
    if (admin) {
      await admin.connect();
      await admin.deleteTopics({ topics: allTopics.map((topic) => `${run}.${topic}`) }).catch(() => undefined);
      await admin.disconnect();
    }
    await context.close();
  }
  const round = (value: number) => Math.round(value * 10) / 10;
  return [
    {
      name: "async",
      conditions: { rows, groupSize: settings.EMBEDDING_GROUP_SIZE, partitions: settings.KAFKA_TOPIC_PARTITIONS },
      metrics: {
        sync_docs_per_second: round(syncRate),
        async_1_worker_docs_per_second: round(oneWorker),
        async_2_workers_docs_per_second: round(twoWorkers),
        one_worker_vs_sync: round(oneWorker / syncRate),
        two_workers_vs_sync: round(twoWorkers / syncRate),
      },
    },
  ];
}
