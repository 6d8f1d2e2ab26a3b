import pg from "pg";
import { cdcStatus, disableCdc, enableCdc } from "../core/cdc/index.js";
import { loadConfig } from "../core/config/index.js";
import { createAppContext } from "../core/context/index.js";
import { createLogger } from "../core/logging/index.js";
import { syncTable } from "../core/sync/index.js";
import { startWorkers } from "../functions/local/workers.js";
import { testServices } from "../test/support/services.js";
import { type BenchResult, expectMeasured, percentile } from "./support.js";

const renames = Number(process.env.BENCH_RELATIONS_RENAMES ?? 20);
const ordersPerCustomer = 20;

async function until(check: () => Promise<boolean>, timeoutMs: number, label: string, pollMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`timed out waiting for ${label}`);
}

/**
 * CDC of a related table: a customer with 20 orders renamed, one rename at a time, from the
 * UPDATE's commit until all 20 order documents in Chroma carry the new name (goal p50 < 2 s).
 * Uses the Kafka Connect already running (bench/cdc.bench.ts starts it when it does not answer).
 */
export async function benchRelationsCdc(): Promise<BenchResult[]> {
  const stamp = Date.now().toString(36);
  const schema = `bench_relcdc_${stamp}`;
  const source = `benchrelcdc_${stamp}`;
  const customers = Math.max(1, renames);
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema};
    CREATE TABLE customers (id int PRIMARY KEY, name text, city text);
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id), status text);
    INSERT INTO customers SELECT n, 'Customer ' || n, 'Ghent' FROM generate_series(1, ${customers}) n;
    INSERT INTO orders SELECT n, 1 + (n - 1) / ${ordersPerCustomer}, 'shipped'
      FROM generate_series(1, ${customers * ordersPerCustomer}) n;`);
  const settings = loadConfig({
    env: {
      LOG_LEVEL: "warn",
      CHROMA_URL: testServices.chromaUrl,
      REDIS_URL: testServices.redisUrl,
      KAFKA_BROKERS: testServices.kafkaBrokers,
      REDIS_KEY_PREFIX: `${source}:`,
      KAFKA_TOPIC_PREFIX: `${source}.`,
      KAFKA_GROUP_PREFIX: source,
      SOURCES: JSON.stringify([{ name: source, kind: "postgresql", url: testServices.postgresUrl, schema }]),
    },
  });
  const context = createAppContext(settings, createLogger(settings));
  const vectors = context.vectors;
  if (!vectors) throw new Error("Chroma is required");
  const dependencies = { ...context, vectors };
  const include = [{ table: "customers", fields: ["name", "city"] }];
  const workers = await startWorkers(context, ["cdc-consumer"]);
  try {
    await syncTable(dependencies, { source, table: "orders", spec: { text_fields: ["status"], include } });
    await enableCdc(dependencies, { source, table: "orders", textFields: ["status"], include });
    await until(
      async () => {
        const status = await cdcStatus(dependencies, source);
        return status.connector.tasks[0]?.state === "RUNNING" && status.slot.active;
      },
      60_000,
      "the connector to stream",
      250,
    );
    const latencies: number[] = [];
    for (let customer = 1; customer <= renames; customer++) {
      const name = `Renamed ${customer} ${stamp}`;
      const ids = Array.from(
        { length: ordersPerCustomer },
        (_, index) => `${source}:orders:${(customer - 1) * ordersPerCustomer + index + 1}`,
      );
      await admin.query(`UPDATE ${schema}.customers SET name = $1 WHERE id = $2`, [name, customer]);
      const committed = performance.now();
      await until(
        async () => {
          const records = await vectors.getRecords(source, ids);
          return records.length === ids.length && records.every((record) => record.document.includes(name));
        },
        30_000,
        "a rename to reach every order",
      );
      latencies.push(performance.now() - committed);
    }
    expectMeasured("relations-cdc", {
      [`${latencies.length} of ${renames} renames timed`]: latencies.length === renames && renames > 0,
    });
    return [
      {
        name: "relations-cdc",
        conditions: {
          renames,
          orders_per_customer: ordersPerCustomer,
          note: "from the customer's UPDATE commit until all 20 order documents in Chroma hold the new name; goal p50 < 2 s",
        },
        metrics: {
          latency_p50_ms: Math.round(percentile(latencies, 0.5)),
          latency_p95_ms: Math.round(percentile(latencies, 0.95)),
          latency_max_ms: Math.round(Math.max(...latencies)),
        },
      },
    ];
  } finally {
    await workers.stop();
    await disableCdc(dependencies, source).catch((error: unknown) => console.error("disabling CDC failed", error));
    const kafkaAdmin = context.kafka?.admin();
    await kafkaAdmin?.connect();
    const created = (await kafkaAdmin?.listTopics())?.filter((topic) => topic.includes(source)) ?? [];
    await kafkaAdmin?.deleteTopics({ topics: created }).catch(() => undefined);
    await kafkaAdmin?.disconnect();
    await vectors.deleteSource(source);
    const keys = await context.redis?.keys(`${source}:*`);
    if (keys?.length) await context.redis?.del(...keys);
    await context.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}
