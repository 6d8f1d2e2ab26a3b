import { syncTable } from "../core/sync/index.js";
import { openCdcBenchRun } from "./cdc-run.js";
import { type BenchResult, expectMeasured, percentile, until } from "./support.js";

const renames = Number(process.env.BENCH_RELATIONS_RENAMES ?? 20);
const ordersPerCustomer = 20;

/**
 * CDC of a related table: a customer with 20 orders renamed, one rename at a time, from the
 * UPDATE's commit until all 20 order documents in Chroma carry the new name (goal p50 < 2 s).
 * Uses the Kafka Connect already running (bench/cdc.bench.ts starts it when it does not answer).
 */
export async function benchRelationsCdc(): Promise<BenchResult[]> {
  const customers = Math.max(1, renames);
  const { stamp, schema, source, admin, context, vectors, enable, close } = await openCdcBenchRun(
    "relcdc",
    `CREATE TABLE customers (id int PRIMARY KEY, name text, city text);
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id), status text);
    INSERT INTO customers SELECT n, 'Customer ' || n, 'Ghent' FROM generate_series(1, ${customers}) n;
    INSERT INTO orders SELECT n, 1 + (n - 1) / ${ordersPerCustomer}, 'shipped'
      FROM generate_series(1, ${customers * ordersPerCustomer}) n;`,
  );
  const include = [{ table: "customers", fields: ["name", "city"] }];
  try {
    await syncTable({ ...context, vectors }, { source, table: "orders", spec: { text_fields: ["status"], include } });
    await enable({ table: "orders", textFields: ["status"], include });
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
    await close();
  }
}
