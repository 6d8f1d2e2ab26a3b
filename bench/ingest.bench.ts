import pg from "pg";
import { ingestTable } from "../core/ingest/index.js";
import { testServices } from "../test/support/services.js";
import { benchContext } from "./context.js";
import { insertSampleRows } from "./sample-rows.js";
import { type BenchResult, expectMeasured } from "./support.js";

const rows = Number(process.env.BENCH_INGEST_ROWS ?? 50_000);

/** bench.<table> (bench.ingest unless named): `count` rows of ~60-token text, recreated each run. */
export async function createBenchTable(count: number, table = "ingest"): Promise<void> {
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await admin.query("CREATE SCHEMA IF NOT EXISTS bench");
  await admin.query(`DROP TABLE IF EXISTS bench.${table}`);
  await admin.query(`CREATE TABLE bench.${table} (id int PRIMARY KEY, body text)`);
  await insertSampleRows(admin, count, `INSERT INTO bench.${table} SELECT * FROM unnest($1::int[], $2::text[])`);
  await admin.end();
}

/** A PostgreSQL table of ~60-token rows through the whole synchronous pipeline (what /ingest-data runs). */
export async function benchIngest(): Promise<BenchResult[]> {
  await createBenchTable(rows);
  const context = benchContext({
    SYNC_INGEST_MAX_ROWS: String(rows),
    SOURCES: JSON.stringify([
      { name: "benchingest", kind: "postgresql", url: testServices.postgresUrl, schema: "bench" },
    ]),
  });
  if (!context.vectors) throw new Error("Chroma is required");
  await context.vectors.deleteSource("benchingest");
  await context.embedder.warmUp();
  const started = performance.now();
  const summary = await ingestTable(
    { ...context, vectors: context.vectors },
    { source: "benchingest", table: "ingest", textFields: ["body"] },
  );
  const seconds = (performance.now() - started) / 1000;
  const stored = await context.vectors.count("benchingest");
  await context.vectors.deleteSource("benchingest");
  await context.close();
  expectMeasured("ingest", {
    [`ingested ${summary.documents} of ${rows} rows`]: summary.documents === rows && rows > 0,
    [`${summary.failed} documents failed`]: summary.failed === 0,
    [`stored ${stored} vectors for ${summary.chunks} chunks`]: stored === summary.chunks,
  });
  return [
    {
      name: "ingest",
      conditions: { rows, batchSize: context.settings.EMBEDDING_BATCH_SIZE, dtype: context.settings.EMBEDDING_DTYPE },
      metrics: {
        documents_per_second: Math.round((summary.documents / seconds) * 10) / 10,
        documents_per_minute: Math.round((summary.documents / seconds) * 60),
        seconds: Math.round(seconds),
      },
    },
  ];
}
