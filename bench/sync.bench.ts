import pg from "pg";
import { ingestTable } from "../core/ingest/index.js";
import { auditTable, rememberIngestion, syncTable } from "../core/sync/index.js";
import { testServices } from "../test/support/services.js";
import { benchContext } from "./context.js";
import { insertSampleRows } from "./sample-rows.js";
import { type BenchResult, expectMeasured } from "./support.js";

const rows = Number(process.env.BENCH_SYNC_ROWS ?? 100_000);
const source = "benchsync";

/** bench.sync: `count` rows of ~60-token text with a price and an updated_at watermark, recreated each run. */
async function createSyncTable(admin: pg.Pool, count: number): Promise<void> {
  await admin.query("CREATE SCHEMA IF NOT EXISTS bench");
  await admin.query("DROP TABLE IF EXISTS bench.sync");
  await admin.query(
    "CREATE TABLE bench.sync (id int PRIMARY KEY, body text, price int, updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
  );
  await admin.query("CREATE INDEX ON bench.sync (updated_at)");
  await insertSampleRows(
    admin,
    count,
    "INSERT INTO bench.sync (id, body, price) SELECT *, 10 FROM unnest($1::int[], $2::text[])",
  );
}

const seconds = (started: number) => (performance.now() - started) / 1000;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * A full ingest of the table, then a sync after 1% of its rows changed (0.6% text, 0.2% metadata
 * only, 0.2% deleted), against the goal of at most 5% of the ingest's time; and an audit's rows/s.
 */
export async function benchSync(): Promise<BenchResult[]> {
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await createSyncTable(admin, rows);
  const context = benchContext({
    REDIS_KEY_PREFIX: "bench-sync:",
    SYNC_INGEST_MAX_ROWS: String(rows),
    SOURCES: JSON.stringify([{ name: source, kind: "postgresql", url: testServices.postgresUrl, schema: "bench" }]),
  });
  const vectors = context.vectors;
  if (!vectors) throw new Error("Chroma is required");
  const dependencies = { ...context, vectors };
  const redis = context.redis;
  if (!redis) throw new Error("Redis is required");
  const clearState = async () => {
    if (redis.status === "wait") await redis.connect();
    const keys = await redis.keys("bench-sync:*");
    if (keys.length) await redis.del(...keys);
  };
  await vectors.deleteSource(source);
  await clearState();
  await context.embedder.warmUp();

  const request = { source, table: "sync", textFields: ["body"], fields: ["price"] };
  let started = performance.now();
  await ingestTable(dependencies, request);
  const ingestSeconds = seconds(started);
  await rememberIngestion(context, request);

  // The first sync declares the watermark: every row is read and hashed, none embedded.
  started = performance.now();
  const scan = await syncTable(dependencies, { source, table: "sync", spec: { watermark_column: "updated_at" } });
  const scanSeconds = seconds(started);

  const step = 500;
  await admin.query(
    `UPDATE bench.sync SET body = body || ' Now in green.', updated_at = clock_timestamp() WHERE id % ${step} IN (1, 2, 3)`,
  );
  await admin.query(`UPDATE bench.sync SET price = 12, updated_at = clock_timestamp() WHERE id % ${step} = 4`);
  await admin.query(`DELETE FROM bench.sync WHERE id % ${step} = 5`);
  started = performance.now();
  const synced = await syncTable(dependencies, { source, table: "sync" });
  const syncSeconds = seconds(started);

  started = performance.now();
  const audit = await auditTable(dependencies, { source, table: "sync" });
  const auditSeconds = seconds(started);

  // What the UPDATEs and DELETE above changed, counted the same way (ids 0 … rows-1).
  const changedBy = (remainders: number[]) =>
    Array.from({ length: rows }, (_, id) => id).filter((id) => remainders.includes(id % step)).length;
  const remaining = await vectors.count(source);
  await vectors.deleteSource(source);
  await clearState();
  await context.close();
  await admin.end();
  expectMeasured("sync", {
    [`${remaining} vectors after the sync, for ${rows - changedBy([5])} rows`]:
      remaining === rows - changedBy([5]) && rows > 0,
    [`re-embedded ${synced.reembedded} of ${changedBy([1, 2, 3])}`]: synced.reembedded === changedBy([1, 2, 3]),
    [`metadata-only ${synced.metadata_only} of ${changedBy([4])}`]: synced.metadata_only === changedBy([4]),
    [`deleted ${synced.deleted} of ${changedBy([5])}`]: synced.deleted === changedBy([5]),
    [`the audit read ${audit.source_rows} of ${rows - changedBy([5])} rows`]:
      audit.source_rows === rows - changedBy([5]),
  });
  const conditions = { rows, pageSize: context.settings.SYNC_PAGE_SIZE, dtype: context.settings.EMBEDDING_DTYPE };
  return [
    {
      name: "sync",
      conditions: { ...conditions, changed: "1% of rows: 0.6% text, 0.2% metadata only, 0.2% deleted" },
      metrics: {
        ingest_seconds: round(ingestSeconds),
        sync_seconds: round(syncSeconds, 2),
        sync_percent_of_ingest: round((syncSeconds / ingestSeconds) * 100, 2),
        reembedded: synced.reembedded,
        metadata_only: synced.metadata_only,
        deleted: synced.deleted,
        first_sync_rows_per_second: Math.round(scan.changed / scanSeconds),
      },
    },
    {
      name: "audit",
      conditions,
      metrics: {
        rows_per_second: Math.round(audit.source_rows / auditSeconds),
        seconds: round(auditSeconds, 2),
        drift_found: audit.missing.count + audit.extra.count + audit.stale.count,
      },
    },
  ];
}
