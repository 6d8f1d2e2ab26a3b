import pg from "pg";
import type { AppContext } from "../core/context/index.js";
import { type IngestRequest, ingestTable } from "../core/ingest/index.js";
import { testServices } from "../test/support/services.js";
import { benchContext } from "./context.js";
import { benchRelationsCdc } from "./relations-cdc.bench.js";
import { type BenchResult, expectMeasured } from "./support.js";

const orders = Number(process.env.BENCH_RELATIONS_ORDERS ?? 50_000);
const source = "benchrelations";

/**
 * bench_relations: customers, products, orders and order lines (1–4 per order), recreated each run,
 * with the foreign keys and the indexes a normalised schema has on them.
 */
async function createShop(count: number): Promise<void> {
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  const customers = Math.max(10, Math.ceil(count / 25));
  await admin.query("DROP SCHEMA IF EXISTS bench_relations CASCADE");
  await admin.query(`CREATE SCHEMA bench_relations; SET search_path TO bench_relations;
    CREATE TABLE customers (id int PRIMARY KEY, name text, city text);
    CREATE TABLE products (id int PRIMARY KEY, name text, price numeric(8,2));
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id),
                         billing_customer_id int REFERENCES customers(id), status text, note text);
    CREATE TABLE order_lines (id serial PRIMARY KEY, order_id int REFERENCES orders(id), line_no int,
                              product_id int REFERENCES products(id), quantity int);
    INSERT INTO customers SELECT n, 'Customer ' || n || ' ' || (ARRAY['Holst','Ferreira','Lindqvist','Becker','Rossi'])[1 + n % 5],
                                 (ARRAY['Lisbon','Munich','Ghent','Dublin','Vienna'])[1 + n % 5]
      FROM generate_series(1, ${customers}) n;
    INSERT INTO products SELECT n, (ARRAY['Orbit','Aster','Kestrel','Lumen'])[1 + n % 4] || ' '
                                 || (ARRAY['Standing Desk','Headlamp','Kettle','Hiking Backpack','Espresso Machine'])[1 + n % 5]
                                 || ' ' || (ARRAY['Mini','Pro','Max'])[1 + n % 3], 20 + n % 700
      FROM generate_series(1, 300) n;
    INSERT INTO orders SELECT n, 1 + n % ${customers}, 1 + (n * 7) % ${customers},
                              (ARRAY['shipped','delivered','processing'])[1 + n % 3],
                              'Deliver to the side door; the customer asked for one parcel with every item.'
      FROM generate_series(1, ${count}) n;
    INSERT INTO order_lines (order_id, line_no, product_id, quantity)
      SELECT o, l, 1 + (o * 13 + l * 31) % 300, 1 + (o + l) % 3
        FROM generate_series(1, ${count}) o, generate_series(1, 4) l WHERE l <= 1 + o % 4;
    CREATE INDEX ON order_lines (order_id); ANALYZE;`);
  await admin.end();
}

/** Orders with their customer, their billing customer (a second foreign key, named by via) and their lines. */
const withRelations: IngestRequest["include"] = [
  { table: "customers", via: "customer_id", fields: ["name", "city"] },
  { table: "customers", via: "billing_customer_id", label: "billing", fields: ["name"] },
  { table: "order_lines", label: "lines", fields: ["quantity", "product_id"], limit: 20, order_by: "line_no" },
];

async function timedIngest(context: AppContext, include: IngestRequest["include"]) {
  if (!context.vectors) throw new Error("Chroma is required");
  await context.vectors.deleteSource(source);
  const connector = context.sources.get(source);
  const related = connector.related.bind(connector);
  let lookupMs = 0;
  let lookups = 0;
  // Time spent fetching related rows, to tell lookups from the model in the wall time.
  connector.related = async (request) => {
    const started = performance.now();
    try {
      return await related(request);
    } finally {
      lookupMs += performance.now() - started;
      lookups++;
    }
  };
  const started = performance.now();
  try {
    const summary = await ingestTable(
      { ...context, vectors: context.vectors },
      { source, table: "orders", textFields: ["status", "note"], include },
    );
    const seconds = (performance.now() - started) / 1000;
    const sample = await context.vectors.get(source, { limit: 200 });
    const tokens = await context.embedder.countTokens(sample.map((record) => record.content));
    return {
      summary,
      seconds,
      lookups,
      lookupSeconds: lookupMs / 1000,
      tokens: tokens.reduce((sum, count) => sum + count, 0) / Math.max(1, tokens.length),
    };
  } finally {
    connector.related = related;
  }
}

/**
 * Join-aware ingestion against the same orders without relations, in one run: two many-to-one
 * relations (customer, billing customer) and one one-to-many (lines). Related documents are longer,
 * so the model has more to embed; the lookup time is reported apart, so what the joins cost in
 * queries and what they cost in text can be told apart.
 */
async function benchRelationsIngest(): Promise<BenchResult[]> {
  await createShop(orders);
  const context = benchContext({
    SYNC_INGEST_MAX_ROWS: String(Math.max(orders, 1)),
    SOURCES: JSON.stringify([
      { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: "bench_relations" },
    ]),
  });
  try {
    await context.embedder.warmUp();
    const plain = await timedIngest(context, undefined);
    const joined = await timedIngest(context, withRelations);
    const stored = await context.vectors?.count(source);
    expectMeasured("relations", {
      [`plain ingested ${plain.summary.documents} of ${orders} orders`]:
        plain.summary.documents === orders && orders > 0,
      [`joined ingested ${joined.summary.documents} of ${orders} orders`]: joined.summary.documents === orders,
      [`stored ${stored} vectors for ${joined.summary.chunks} chunks`]: stored === joined.summary.chunks,
      [`${joined.lookups} related queries for ${Math.ceil(orders / 1_000)} pages of 1,000`]:
        joined.lookups === 3 * Math.ceil(orders / 1_000),
    });
    const rate = (run: typeof plain) => run.summary.documents / run.seconds;
    const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
    return [
      {
        name: "relations",
        conditions: {
          orders,
          relations: "customer and billing customer (many-to-one), lines (one-to-many, limit 20)",
          pageRows: 1_000,
          batchSize: context.settings.EMBEDDING_BATCH_SIZE,
        },
        metrics: {
          plain_documents_per_second: round(rate(plain)),
          relations_documents_per_second: round(rate(joined)),
          ratio: round(rate(joined) / rate(plain), 2),
          plain_tokens_per_document: round(plain.tokens),
          relations_tokens_per_document: round(joined.tokens),
          related_queries: joined.lookups,
          related_query_seconds: round(joined.lookupSeconds, 2),
          related_query_share: round(joined.lookupSeconds / joined.seconds, 3),
        },
      },
    ];
  } finally {
    await context.vectors?.deleteSource(source).catch(() => undefined);
    await context.close();
  }
}

/** `npm run bench -- relations`: join-aware ingestion against plain, then CDC of a related table's rename. */
export async function benchRelations(): Promise<BenchResult[]> {
  return [...(await benchRelationsIngest()), ...(await benchRelationsCdc())];
}
