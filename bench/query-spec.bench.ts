import { readFileSync } from "node:fs";
import { MongoClient } from "mongodb";
import pg from "pg";
import type { SourceConfig } from "../core/config/index.js";
import { type QueryDependencies, type QuerySpecInput, querySpecSchema, runQuery } from "../core/query/index.js";
import { SourceRegistry } from "../core/sources/index.js";
import { dropMongoDatabase } from "../test/support/scratch-mongo.js";
import { testServices } from "../test/support/services.js";
import { type BenchResult, machineConditions, median } from "./support.js";

const rows = Number(process.env.BENCH_QUERY_ROWS ?? 1_000_000);
const documents = Number(process.env.BENCH_QUERY_DOCUMENTS ?? 200_000);
const runs = Number(process.env.BENCH_QUERY_RUNS ?? 9);
const schema = "bench_query_spec";
const database = "bench_query_spec_test";
const categories = 50;

type Input = Omit<QuerySpecInput, "source" | "table">;

/**
 * CPU time (user + system, ms) the local FerretDB process has used, read from /proc with the pid
 * scripts/services keeps; undefined elsewhere. A query's share of it barely moves with the load of other
 * work on the machine, where its wall time on a busy 2-core machine moves by 2×.
 */
function ferretCpuMs(): number | undefined {
  try {
    const pid = readFileSync(".services/run/mongo.pid", "utf8").trim();
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * The p50 in ms of the spec and of the hand-written query, each run `runs` times after one warm-up run,
 * alternating: on a shared machine, load that drifts during the measurement then falls on both alike
 * (timed one block after the other, "cheapest" with an index read 1.52× where 60 alternating rounds read 1.12×).
 */
async function pairedP50(
  label: string,
  spec: () => Promise<unknown>,
  hand: () => Promise<unknown>,
  serverCpuMs?: () => number | undefined,
): Promise<{
  specMs: number;
  handMs: number;
  serverCpu?: { specMs: number; handMs: number };
  loadAverage: { before: number[]; after: number[] };
}> {
  const before = machineConditions().load_average;
  await spec();
  await hand();
  const latencies = { spec: [] as number[], hand: [] as number[] };
  const cpu = { spec: [] as number[], hand: [] as number[] };
  for (let index = 0; index < runs; index++) {
    // Which goes first alternates too, so neither always runs on the other's warm cache.
    for (const side of index % 2 ? (["hand", "spec"] as const) : (["spec", "hand"] as const)) {
      const cpuBefore = serverCpuMs?.();
      const started = performance.now();
      await (side === "spec" ? spec() : hand());
      latencies[side].push(performance.now() - started);
      const cpuAfter = serverCpuMs?.();
      if (cpuBefore !== undefined && cpuAfter !== undefined) cpu[side].push(cpuAfter - cpuBefore);
    }
    // Progress on stderr: a FerretDB round takes 20–40 s.
    const last = (side: "spec" | "hand") => Math.round(latencies[side].at(-1) ?? 0);
    console.error(
      `query-spec ${label}: round ${index + 1}/${runs} spec ${last("spec")} ms, hand ${last("hand")} ms, load ${machineConditions().load_average.join(" ")}`,
    );
  }
  const p50 = (values: number[]) => Math.round(median(values) * 10) / 10;
  return {
    specMs: p50(latencies.spec),
    handMs: p50(latencies.hand),
    ...(cpu.spec.length === runs && cpu.hand.length === runs
      ? { serverCpu: { specMs: p50(cpu.spec), handMs: p50(cpu.hand) } }
      : {}),
    loadAverage: { before, after: machineConditions().load_average },
  };
}

/**
 * The structured query's latency beside the same query written by hand, on a `rows`-row PostgreSQL table
 * (without, then with, an index on the filter column) and a `documents`-document FerretDB collection.
 * Both sides run on the same pool or client; the spec's cost is schema introspection, typing and the
 * read-only transaction around the statement.
 */
export async function benchQuerySpec(): Promise<BenchResult[]> {
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 2 });
  const client = new MongoClient(testServices.mongoUrl);
  const sources: SourceConfig[] = [
    {
      name: "bench_pg",
      kind: "postgresql",
      connectionString: testServices.postgresUrl,
      schema,
      max_connections: 2,
      query_tables: ["items"],
    },
    { name: "bench_mongo", kind: "mongodb", url: testServices.mongoUrl, database, query_tables: ["items"] },
  ];
  const registry = new SourceRegistry(sources, { DATA_DIR: "data", SCHEMA_SAMPLE_SIZE: 200 });
  const dependencies: QueryDependencies = {
    sources: registry,
    redis: undefined,
    settings: { QUERY_TIMEOUT_MS: 300_000, REDIS_KEY_PREFIX: "bench:", SCHEMA_SAMPLE_SIZE: 200 },
  };
  const spec = (source: string, input: Input) => querySpecSchema.parse({ ...input, source, table: "items" });
  const aggregate: Input = {
    filters: [{ column: "category", op: "eq", value: "c7" }],
    aggregates: [{ function: "count" }, { function: "avg", column: "price" }],
  };
  const cheapest: Input = {
    filters: [{ column: "category", op: "eq", value: "c7" }],
    columns: ["name", "price"],
    order_by: [{ key: "price" }],
    limit: 1,
  };
  const perCategory: Input = { group_by: ["category"], aggregates: [{ function: "sum", column: "price" }] };
  const results: BenchResult[] = [];
  try {
    // ---- PostgreSQL ----
    const loadStarted = performance.now();
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await admin.query(`DROP TABLE IF EXISTS ${schema}.items`);
    await admin.query(
      `CREATE TABLE ${schema}.items AS
           SELECT g AS id, 'item ' || g AS name, 'c' || (g % ${categories}) AS category,
                  round((random() * 1000)::numeric, 2) AS price, date '2020-01-01' + (g % 2000) AS added_on
             FROM generate_series(1, ${rows}) g`,
    );
    await admin.query(`ALTER TABLE ${schema}.items ADD PRIMARY KEY (id)`);
    await admin.query(`DROP INDEX IF EXISTS ${schema}.items_category`);
    await admin.query(`ANALYZE ${schema}.items`);
    const pgLoadSeconds = Math.round((performance.now() - loadStarted) / 100) / 10;
    console.error(`query-spec: ${rows} PostgreSQL rows loaded in ${pgLoadSeconds} s`);
    const hand = {
      aggregate: () => admin.query(`SELECT count(*), avg(price) FROM ${schema}.items WHERE category = $1`, ["c7"]),
      cheapest: () =>
        admin.query(`SELECT name, price FROM ${schema}.items WHERE category = $1 ORDER BY price LIMIT 1`, ["c7"]),
      perCategory: () => admin.query(`SELECT category, sum(price) FROM ${schema}.items GROUP BY category`),
    };
    const measurePostgres = async (index: string) => {
      for (const [name, input, handWritten] of [
        ["count+avg where category = c7", aggregate, hand.aggregate],
        ["cheapest where category = c7", cheapest, hand.cheapest],
        ["sum per category", perCategory, hand.perCategory],
      ] as const) {
        const { specMs, handMs, loadAverage } = await pairedP50(
          `postgres ${index} ${name}`,
          () => runQuery(dependencies, spec("bench_pg", input)),
          handWritten,
        );
        results.push({
          name: `query-spec-postgres-${index}-${name.split(" ")[0]}`,
          conditions: { rows, query: name, index, runs, loadSeconds: pgLoadSeconds, loadAverage },
          metrics: { spec_p50_ms: specMs, hand_p50_ms: handMs, ratio: Math.round((specMs / handMs) * 100) / 100 },
        });
      }
    };
    await measurePostgres("no-index");
    await admin.query(`CREATE INDEX items_category ON ${schema}.items (category)`);
    await admin.query(`ANALYZE ${schema}.items`);
    await measurePostgres("category-index");

    // ---- MongoDB (FerretDB) ----
    await client.connect();
    const collection = client.db(database).collection("items");
    const mongoStarted = performance.now();
    await collection.drop().catch(() => undefined);
    for (let start = 0; start < documents; start += 5_000) {
      await collection.insertMany(
        Array.from({ length: Math.min(5_000, documents - start) }, (_, offset) => {
          const n = start + offset + 1;
          return {
            id: n,
            name: `item ${n}`,
            category: `c${n % categories}`,
            price: Math.round(Math.random() * 100_000) / 100,
          };
        }),
      );
    }
    const mongoLoadSeconds = Math.round((performance.now() - mongoStarted) / 100) / 10;
    console.error(`query-spec: ${documents} FerretDB documents loaded in ${mongoLoadSeconds} s`);
    const handMongo = {
      // FerretDB has no $avg: by hand, the same streamed find and a sum in code.
      aggregate: async () => {
        let count = 0;
        let sum = 0;
        for await (const document of collection.find(
          { category: "c7" },
          { projection: { _id: 0, price: 1 }, batchSize: 1_000 },
        )) {
          count++;
          sum += document.price as number;
        }
        return { count, avg: count ? sum / count : null };
      },
      cheapest: () =>
        collection
          .find({ category: "c7" }, { projection: { _id: 0, name: 1, price: 1 }, sort: { price: 1 }, limit: 1 })
          .toArray(),
      perCategory: () => collection.aggregate([{ $group: { _id: "$category", total: { $sum: "$price" } } }]).toArray(),
    };
    for (const [name, input, handWritten] of [
      ["count+avg where category = c7", aggregate, handMongo.aggregate],
      ["cheapest where category = c7", cheapest, handMongo.cheapest],
      ["sum per category", perCategory, handMongo.perCategory],
    ] as const) {
      const { specMs, handMs, serverCpu, loadAverage } = await pairedP50(
        `FerretDB ${name}`,
        () => runQuery(dependencies, spec("bench_mongo", input)),
        handWritten,
        ferretCpuMs,
      );
      results.push({
        name: `query-spec-mongo-${name.split(" ")[0]}`,
        conditions: {
          documents,
          query: name,
          runs,
          server: "FerretDB 1.24 (SQLite)",
          loadSeconds: mongoLoadSeconds,
          loadAverage,
        },
        metrics: {
          spec_p50_ms: specMs,
          hand_p50_ms: handMs,
          ratio: Math.round((specMs / handMs) * 100) / 100,
          // FerretDB's own CPU per query (p50), when it runs on this machine: the load-independent figure.
          ...(serverCpu
            ? {
                ferretdb_cpu_spec_p50_ms: serverCpu.specMs,
                ferretdb_cpu_hand_p50_ms: serverCpu.handMs,
                // /proc counts in 10 ms ticks: a tiny run can read 0.
                ...(serverCpu.handMs > 0
                  ? { ferretdb_cpu_ratio: Math.round((serverCpu.specMs / serverCpu.handMs) * 100) / 100 }
                  : {}),
              }
            : {}),
        },
      });
    }
  } finally {
    // The shared services are left as found: the data is rebuilt in seconds (FerretDB's in about a minute).
    await registry.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
    await dropMongoDatabase(client, database);
  }
  return results;
}
