import { execFile } from "node:child_process";
import path from "node:path";
import { isDeepStrictEqual, promisify } from "node:util";
import { loadConfig } from "../core/config/index.js";
import { syncTable } from "../core/sync/index.js";
import { expectedRecords, storedRecords } from "../test/support/sync-oracle.js";
import { openCdcBenchRun } from "./cdc-run.js";
import { type BenchResult, expectMeasured, percentile, until } from "./support.js";

const rows = Number(process.env.BENCH_CDC_ROWS ?? 1_000);
const burst = Number(process.env.BENCH_CDC_BURST ?? 10_000);
const singles = Number(process.env.BENCH_CDC_SINGLES ?? 40);
const root = path.resolve(import.meta.dirname, "..");
const run = promisify(execFile);

/**
 * Change data capture end to end (PostgreSQL → Debezium on Kafka Connect → Kafka → cdc-consumer
 * → MiniLM → Chroma): commit-to-searchable latency of single-row text updates, one at a time,
 * against the goal p50 < 2 s; then a burst of updates, 500 rows per statement, and how long until
 * every event is consumed and the store equals a fresh ingestion of the table.
 */
export async function benchCdc(): Promise<BenchResult[]> {
  // Start Kafka Connect only when it does not answer: `services.sh up` from another checkout
  // (a git worktree) cannot tell the running one is its own and would fail or restart it.
  const connectUrl = loadConfig({ env: { LOG_LEVEL: "warn" } }).KAFKA_CONNECT_URL;
  const connectAnswers = await fetch(`${connectUrl}/connector-plugins`, { signal: AbortSignal.timeout(3_000) })
    .then((response) => response.ok)
    .catch(() => false);
  if (!connectAnswers) await run("bash", ["scripts/services.sh", "up", "connect"], { cwd: root, timeout: 300_000 });
  const { stamp, schema, source, admin, context, vectors, status, enable, close } = await openCdcBenchRun(
    "cdc",
    `CREATE TABLE items (id int PRIMARY KEY, title text, body text, price int);
     INSERT INTO items SELECT n, 'Item ' || n, 'Item ' || n || ' is a sturdy oak shelf for a small flat.', n
       FROM generate_series(1, ${rows}) AS n`,
  );
  const spec = { textFields: ["title", "body"], fields: ["price"] };
  try {
    await syncTable(
      { ...context, vectors },
      { source, table: "items", spec: { text_fields: spec.textFields, fields: spec.fields } },
    );
    await enable({ table: "items", textFields: spec.textFields, fields: spec.fields });

    const latencies: number[] = [];
    for (let index = 0; index < singles; index++) {
      const id = (index % rows) + 1;
      const marker = `Single ${index} of ${stamp}`;
      await admin.query(`UPDATE ${schema}.items SET title = $1 WHERE id = $2`, [marker, id]);
      const committed = performance.now();
      await until(
        async () =>
          (await vectors.getRecords(source, [`${source}:items:${id}`])).some((record) =>
            record.document.includes(marker),
          ),
        30_000,
        "a single change",
      );
      latencies.push(performance.now() - committed);
    }

    const updatesBefore = (await status()).tables[0]?.counts.updated ?? 0;
    const started = performance.now();
    // Set-based statements of 500 rows each, so the writer commits the burst in about a second
    // and the figure measures the pipeline, not 10,000 client round trips.
    for (let start = 0; start < burst; start += 500) {
      const size = Math.min(500, burst - start);
      const first = (start % rows) + 1;
      await admin.query(
        `UPDATE ${schema}.items SET body = 'Burst ' || $1::int || ' of item ' || id || ': pine, steel and wool.', price = $1::int + id
          WHERE id BETWEEN $2 AND $3`,
        [start, first, first + size - 1],
      );
    }
    const committed = performance.now();
    await until(
      async () => ((await status()).tables[0]?.counts.updated ?? 0) >= updatesBefore + burst,
      600_000,
      "every burst event",
      250,
    );
    const consumed = performance.now();
    const expected = await expectedRecords(context, source, "items", spec);
    const exact = isDeepStrictEqual(await storedRecords(context, source, "items"), expected);
    if (!exact) throw new Error("the store does not equal the table after the burst");
    const final = await status();
    expectMeasured("cdc", {
      [`${latencies.length} of ${singles} single changes timed`]: latencies.length === singles && singles > 0,
    });
    return [
      {
        name: "cdc",
        conditions: {
          rows,
          single_changes: singles,
          burst_updates: burst,
          burst_statement_rows: 500,
          model: context.embedder.model,
          note: "commit-to-searchable: from the UPDATE's commit to the new text readable from Chroma; goal p50 < 2 s",
        },
        metrics: {
          latency_p50_ms: Math.round(percentile(latencies, 0.5)),
          latency_p95_ms: Math.round(percentile(latencies, 0.95)),
          latency_max_ms: Math.round(Math.max(...latencies)),
          burst_commit_s: Math.round((committed - started) / 100) / 10,
          burst_consumed_s: Math.round((consumed - started) / 100) / 10,
          burst_events_per_s: Math.round(burst / ((consumed - started) / 1000)),
          burst_rows_reembedded: final.tables[0]?.counts.reembedded ?? 0,
        },
      },
    ];
  } finally {
    await close();
  }
}
