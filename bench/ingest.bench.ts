import pg from "pg";
import { loadConfig } from "../core/config/index.js";
import { createAppContext } from "../core/context/index.js";
import { ingestTable } from "../core/ingest/index.js";
import { createLogger } from "../core/logging/index.js";
import { testServices } from "../test/support/services.js";
import { sampleTexts } from "./embed.bench.js";
import { type BenchResult, expectMeasured } from "./support.js";

const rows = Number(process.env.BENCH_INGEST_ROWS ?? 50_000);

/** bench.<table> (bench.ingest unless named): `count` rows of ~60-token text, recreated each run. */
export async function createBenchTable(count: number, table = "ingest"): Promise<void> {
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await admin.query("CREATE SCHEMA IF NOT EXISTS bench");
  await admin.query(`DROP TABLE IF EXISTS bench.${table}`);
  await admin.query(`CREATE TABLE bench.${table} (id int PRIMARY KEY, body text)`);
  const texts = sampleTexts(count);
  for (let start = 0; start < count; start += 5_000) {
    const slice = texts.slice(start, start + 5_000);
    await admin.query(`INSERT INTO bench.${table} SELECT * FROM unnest($1::int[], $2::text[])`, [
      slice.map((_, offset) => start + offset),
      slice,
    ]);
  }
  await admin.end();
}

/** A PostgreSQL table of ~60-token rows through the whole synchronous pipeline (what /ingest-data runs). */
export async function benchIngest(): Promise<BenchResult[]> {
  await createBenchTable(rows);
  const settings = loadConfig({
    env: {
      LOG_LEVEL: "warn",
      CHROMA_URL: testServices.chromaUrl,
      REDIS_URL: testServices.redisUrl,
      KAFKA_BROKERS: "",
      SYNC_INGEST_MAX_ROWS: String(rows),
      SOURCES: JSON.stringify([
        { name: "benchingest", kind: "postgresql", url: testServices.postgresUrl, schema: "bench" },
      ]),
    },
  });
  const context = createAppContext(settings, createLogger(settings));
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
      conditions: { rows, batchSize: settings.EMBEDDING_BATCH_SIZE, dtype: settings.EMBEDDING_DTYPE },
      metrics: {
        documents_per_second: Math.round((summary.documents / seconds) * 10) / 10,
        documents_per_minute: Math.round((summary.documents / seconds) * 60),
        seconds: Math.round(seconds),
      },
    },
  ];
}
