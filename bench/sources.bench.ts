import { MongoClient } from "mongodb";
import pg from "pg";
import {
  MongoConnector,
  PostgresConnector,
  resolveSelection,
  rowToDocument,
  type SourceConnector,
} from "../core/sources/index.js";
import { testServices } from "../test/support/services.js";
import { type BenchResult, expectMeasured, mb, withPeakRss } from "./support.js";

const pgRows = Number(process.env.BENCH_PG_ROWS ?? 1_000_000);
const mongoDocuments = Number(process.env.BENCH_MONGO_DOCS ?? 200_000);
// Sizes other than the defaults (the smoke test's) get their own table and collection, so a
// small run never replaces the large ones a full run reuses.
const pgTable = pgRows === 1_000_000 ? "rows" : `rows_${pgRows}`;
const mongoCollection = mongoDocuments === 200_000 ? "documents" : `documents_${mongoDocuments}`;

/** Streams a large PostgreSQL table and MongoDB collection into documents (no embedding). */
export async function benchSources(): Promise<BenchResult[]> {
  return [await benchPostgres(), await benchMongo()];
}

async function benchPostgres(): Promise<BenchResult> {
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await admin.query("CREATE SCHEMA IF NOT EXISTS bench");
  const { rows } = await admin.query<{ count: string }>(
    "SELECT count(*) AS count FROM information_schema.tables WHERE table_schema = 'bench' AND table_name = $1",
    [pgTable],
  );
  const existing =
    rows[0]?.count === "1" ? Number((await admin.query(`SELECT count(*) FROM bench.${pgTable}`)).rows[0].count) : 0;
  if (existing !== pgRows) {
    await admin.query(`DROP TABLE IF EXISTS bench.${pgTable}`);
    await admin.query(`CREATE TABLE bench.${pgTable} AS
      SELECT n AS id, 'Product ' || n AS title,
             'A sturdy item number ' || n || ' made of oak and steel, shipped in ' || (n % 9 + 1) || ' days with a two-year warranty and free returns.' AS body,
             (n % 1000) / 10.0 AS price, now() - (n || ' minutes')::interval AS created_at
        FROM generate_series(1, ${pgRows}) AS n`);
    await admin.query(`ALTER TABLE bench.${pgTable} ADD PRIMARY KEY (id)`);
  }
  await admin.end();

  const connector = new PostgresConnector({
    name: "bench",
    kind: "postgresql",
    connectionString: testServices.postgresUrl,
    schema: "bench",
    max_connections: 2,
  });
  return measureStreaming(connector, pgTable, ["title", "body"], "sources-postgres", {}, pgRows);
}

async function benchMongo(): Promise<BenchResult> {
  const client = new MongoClient(testServices.mongoUrl);
  await client.connect();
  const collection = client.db("bench_test").collection(mongoCollection);
  if ((await collection.estimatedDocumentCount()) !== mongoDocuments) {
    await collection.drop().catch(() => undefined);
    for (let start = 0; start < mongoDocuments; start += 5_000) {
      const batch = Array.from({ length: Math.min(5_000, mongoDocuments - start) }, (_, offset) => {
        const n = start + offset;
        return {
          sku: `SKU-${n}`,
          title: `Review ${n}`,
          text: `Review number ${n}: works well, arrived in ${(n % 9) + 1} days.`,
          stars: n % 5,
          at: new Date(1_700_000_000_000 + n * 1000),
          tags: ["a", "b"],
        };
      });
      await collection.insertMany(batch, { ordered: false });
    }
  }
  await client.close().catch(() => undefined);

  const connector = new MongoConnector(
    { name: "bench", kind: "mongodb", url: testServices.mongoUrl, database: "bench_test" },
    { sampleSize: 200 },
  );
  return measureStreaming(
    connector,
    mongoCollection,
    ["title", "text"],
    "sources-mongodb",
    {
      server: "FerretDB 1.24.2 (SQLite)",
    },
    mongoDocuments,
  );
}

/** Streams a whole table into documents (no embedding), measuring rows/s and RSS above idle. */
async function measureStreaming(
  connector: SourceConnector,
  table: string,
  textFields: string[],
  name: string,
  conditions: Record<string, unknown>,
  expected: number,
): Promise<BenchResult> {
  const schema = await connector.describe(table);
  const selection = resolveSelection("bench", schema, { textFields });
  global.gc?.();
  const idleRss = process.memoryUsage.rss();
  const started = performance.now();
  const { result: count, peakRss } = await withPeakRss(async () => {
    let documents = 0;
    for await (const row of connector.stream({ table, fields: selection.readFields, batchSize: 1_000 })) {
      rowToDocument(row, { source: "bench", table, ...selection });
      documents++;
    }
    return documents;
  });
  const seconds = (performance.now() - started) / 1000;
  await connector.close();
  expectMeasured(name, { [`streamed ${count} of ${expected} rows`]: count === expected && expected > 0 });
  return {
    name,
    conditions: { ...conditions, rows: count, cursorBatch: 1_000, fields: selection.readFields },
    metrics: {
      rows_per_second: Math.round(count / seconds),
      seconds: Math.round(seconds * 10) / 10,
      idle_rss_mb: mb(idleRss),
      peak_rss_mb: mb(peakRss),
      peak_over_idle_mb: mb(peakRss - idleRss),
    },
  };
}
