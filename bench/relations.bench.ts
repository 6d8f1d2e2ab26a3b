import { loadavg } from "node:os";
import pg from "pg";
import type { AppContext } from "../core/context/index.js";
import { type IngestRequest, ingestTable } from "../core/ingest/index.js";
import { scratchDatabase } from "../test/support/scratch-database.js";
import { testServices, uniqueName } from "../test/support/services.js";
import { benchContext } from "./context.js";
import { benchRelationsCdc } from "./relations-cdc.bench.js";
import { type BenchResult, expectMeasured, machineConditions } from "./support.js";

const orders = Number(process.env.BENCH_RELATIONS_ORDERS ?? 50_000);
/**
 * This run's own schema and source: another checkout's run (the bench smoke test) uses the same tables,
 * and a shared name let one run drop the other's schema and vectors mid-run.
 */
const run = uniqueName("benchrelations").replace(/-/g, "_");
const source = run;
const schema = run;

/**
 * A schema of the run's own: customers, products, orders and order lines (1–4 per order),
 * with the foreign keys and the indexes a normalised schema has on them.
 */
async function createShop(count: number): Promise<void> {
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  const customers = Math.max(10, Math.ceil(count / 25));
  await admin.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema};
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

async function dropShop(): Promise<void> {
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}

/** Orders with their customer, their billing customer (a second foreign key, named by via) and their lines. */
const withRelations: IngestRequest["include"] = [
  { table: "customers", via: "customer_id", fields: ["name", "city"] },
  { table: "customers", via: "billing_customer_id", label: "billing", fields: ["name"] },
  { table: "order_lines", label: "lines", fields: ["quantity", "product_id"], limit: 20, order_by: "line_no" },
];

/**
 * orders_flat: each order with the lines the relations above render already in a column of its own,
 * written by one SQL join before the clock starts. Ingesting it plain gives documents of (nearly) the
 * joined documents' length with no relation machinery at all, so the joined run's cost splits into what
 * its longer text costs and what fetching and rendering related rows costs.
 */
const flatTable = `CREATE TABLE orders_flat AS
  SELECT o.id, o.status, o.note, concat_ws(E'\\n',
           'customer.name: ' || c.name, 'customer.city: ' || c.city, 'billing.name: ' || b.name,
           (SELECT string_agg('lines: quantity: ' || l.quantity || '; product_id: ' || l.product_id, E'\\n'
                              ORDER BY l.line_no, l.id)
              FROM order_lines l WHERE l.order_id = o.id)) AS related
    FROM orders o JOIN customers c ON c.id = o.customer_id JOIN customers b ON b.id = o.billing_customer_id;
  ALTER TABLE orders_flat ADD PRIMARY KEY (id); ANALYZE orders_flat;`;

/** Which embedder the run uses: the model (default), or the hash embedder to see the pipeline without it. */
const embedderMode = process.env.BENCH_RELATIONS_EMBEDDER ?? "model";
if (!["model", "hash"].includes(embedderMode)) {
  throw new Error(`BENCH_RELATIONS_EMBEDDER must be model or hash, not ${embedderMode}`);
}

interface Variant {
  name: "plain" | "relations" | "flat";
  table: string;
  textFields: string[];
  include?: IngestRequest["include"];
}

const variants: Variant[] = [
  { name: "plain", table: "orders", textFields: ["status", "note"] },
  { name: "relations", table: "orders", textFields: ["status", "note"], include: withRelations },
  { name: "flat", table: "orders_flat", textFields: ["status", "note", "related"] },
];

/** Sums the time spent in `method` of `target` while the returned timer is on; `restore()` puts it back. */
function timeMethod<T extends object, K extends keyof T>(target: T, method: K) {
  const original = target[method] as (...args: unknown[]) => Promise<unknown>;
  const timer = { seconds: 0, calls: 0, restore: () => Object.assign(target, { [method]: original }) };
  Object.assign(target, {
    [method]: async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await original.apply(target, args);
      } finally {
        timer.seconds += (performance.now() - started) / 1000;
        timer.calls++;
      }
    },
  });
  return timer;
}

async function timedIngest(context: AppContext, variant: Variant) {
  if (!context.vectors) throw new Error("Chroma is required");
  const vectors = context.vectors;
  await vectors.deleteSource(source);
  const connector = context.sources.get(source);
  const embedder = context.embedder;
  // Where the wall time goes: related queries, token counting for chunking (in the read loop),
  // embedding, and writes (Chroma and the keyword index). Embedding and writes overlap reading.
  const related = timeMethod(connector, "related");
  const counting = timeMethod(embedder, "countTokens");
  const embedding = timeMethod(embedder, "embed");
  const writes = timeMethod(vectors, "upsert");
  // Every text embedded, kept to count its tokens after the clock stops.
  const texts: string[] = [];
  const embed = embedder.embed;
  embedder.embed = (batch) => {
    texts.push(...batch);
    return embed.call(embedder, batch);
  };
  const started = performance.now();
  let reported = started;
  try {
    const summary = await ingestTable(
      { ...context, vectors },
      { source, table: variant.table, textFields: variant.textFields, include: variant.include },
      {
        onProgress: (progress) => {
          const now = performance.now();
          if (now - reported < 20_000) return;
          reported = now;
          const seconds = (now - started) / 1000;
          const rate = progress.chunksStored / seconds;
          console.log(
            `  ${variant.name}: ${progress.chunksStored} of ${progress.totalRows} orders stored in ${Math.round(seconds)} s, ${rate.toFixed(1)} docs/s, ETA ${Math.round((progress.totalRows - progress.chunksStored) / Math.max(rate, 0.01))} s`,
          );
        },
      },
    );
    const seconds = (performance.now() - started) / 1000;
    embedder.embed = embed;
    for (const timer of [related, counting, embedding, writes]) timer.restore();
    let tokens = 0;
    for (let index = 0; index < texts.length; index += 1_000) {
      for (const count of await embedder.countTokens(texts.slice(index, index + 1_000))) tokens += count;
    }
    console.log(
      `  ${variant.name}: ${summary.documents} documents in ${seconds.toFixed(1)} s, ${(summary.documents / seconds).toFixed(1)} docs/s, ${Math.round(tokens / seconds)} tokens/s, load ${(loadavg()[0] ?? 0).toFixed(1)}`,
    );
    // The 1-minute load average as the variant ends: other work on the machine moves the figures.
    const load = Math.round((loadavg()[0] ?? 0) * 10) / 10;
    return { summary, seconds, tokens, texts: texts.length, related, counting, embedding, writes, load };
  } finally {
    embedder.embed = embed;
    for (const timer of [related, counting, embedding, writes]) timer.restore();
  }
}

/**
 * Join-aware ingestion against the same orders without relations, and against the same orders with
 * the related text already in a column (flat), in one run: two many-to-one relations (customer,
 * billing customer) and one one-to-many (lines). Related documents are longer, so every stage has
 * more text to carry; the flat run carries the same text without lookups, so what the joins cost in
 * queries and rendering and what they cost in text can be told apart. BENCH_RELATIONS_EMBEDDER=hash
 * replaces the model by the hash embedder, to see the pipeline's own cost (docs/relations.md#benchmark).
 */
async function benchRelationsIngest(): Promise<BenchResult[]> {
  await createShop(orders);
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await admin.query(`SET search_path TO ${schema}; ${flatTable}`);
  await admin.end();
  // The keyword index in a scratch database of its own: its writes count, and no shared index is touched.
  const keywords = await scratchDatabase("benchrelations");
  const context = benchContext({
    SYNC_INGEST_MAX_ROWS: String(Math.max(orders, 1)),
    SEARCH_DATABASE_URL: keywords.url,
    ...(embedderMode === "hash" ? { EMBEDDING_PROVIDER: "hash" } : {}),
    SOURCES: JSON.stringify([{ name: source, kind: "postgresql", url: testServices.postgresUrl, schema }]),
  });
  try {
    await context.embedder.warmUp();
    const runs: Record<Variant["name"], Awaited<ReturnType<typeof timedIngest>>> = {} as never;
    for (const variant of variants) runs[variant.name] = await timedIngest(context, variant);
    const { plain, relations: joined, flat } = runs;
    const stored = await context.vectors?.count(source);
    expectMeasured("relations", {
      ...Object.fromEntries(
        variants.map((variant) => [
          `${variant.name} ingested ${runs[variant.name].summary.documents} of ${orders} orders`,
          runs[variant.name].summary.documents === orders && orders > 0,
        ]),
      ),
      [`stored ${stored} vectors for ${flat.summary.chunks} chunks`]: stored === flat.summary.chunks,
      [`${joined.related.calls} related queries for ${Math.ceil(orders / 1_000)} pages of 1,000`]:
        joined.related.calls === 3 * Math.ceil(orders / 1_000),
      [`no related queries without relations (${plain.related.calls}, ${flat.related.calls})`]:
        plain.related.calls === 0 && flat.related.calls === 0,
    });
    const documentRate = (run: typeof plain) => run.summary.documents / run.seconds;
    const tokenRate = (run: typeof plain) => run.tokens / run.seconds;
    const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
    const figures = (name: string, run: typeof plain) => ({
      [`${name}_documents_per_second`]: round(documentRate(run)),
      [`${name}_tokens_per_second`]: Math.round(tokenRate(run)),
      [`${name}_tokens_per_document`]: round(run.tokens / run.texts),
      [`${name}_seconds`]: round(run.seconds),
      [`${name}_embed_seconds`]: round(run.embedding.seconds),
      [`${name}_write_seconds`]: round(run.writes.seconds),
      [`${name}_token_count_seconds`]: round(run.counting.seconds, 2),
    });
    return [
      {
        name: "relations",
        conditions: {
          orders,
          embedder:
            embedderMode === "hash"
              ? "EMBEDDING_PROVIDER=hash (the model's tokenizer, hashed token ids): the pipeline without the model"
              : context.embedder.model,
          relations: "customer and billing customer (many-to-one), lines (one-to-many, limit 20)",
          flat: "orders_flat: the same orders with the related lines precomputed in a column, ingested plain (same text, no lookups)",
          keyword_index: "on (a scratch database of its own)",
          pageRows: 1_000,
          batchSize: context.settings.EMBEDDING_BATCH_SIZE,
          timing:
            "wall time of ingestTable per variant; embed and write seconds are summed call times, which overlap reading",
          goal: "relations ≥ 0.85× the documents per second of plain",
          load_average_1min_after: Object.fromEntries(variants.map(({ name }) => [name, runs[name].load])),
          ...machineConditions(),
        },
        metrics: {
          ...figures("plain", plain),
          ...figures("relations", joined),
          ...figures("flat", flat),
          ratio: round(documentRate(joined) / documentRate(plain), 2),
          tokens_per_second_ratio: round(tokenRate(joined) / tokenRate(plain), 2),
          relations_vs_flat_ratio: round(documentRate(joined) / documentRate(flat), 2),
          related_queries: joined.related.calls,
          related_query_seconds: round(joined.related.seconds, 2),
          related_query_share: round(joined.related.seconds / joined.seconds, 3),
        },
      },
    ];
  } finally {
    await context.vectors?.deleteSource(source).catch(() => undefined);
    await context.close();
    await keywords.drop().catch(() => undefined);
    await dropShop().catch(() => undefined);
  }
}

/**
 * `npm run bench -- relations`: join-aware ingestion against plain, then CDC of a related table's rename
 * (BENCH_RELATIONS_CDC=0 leaves the CDC part out).
 */
export async function benchRelations(): Promise<BenchResult[]> {
  const ingest = await benchRelationsIngest();
  return process.env.BENCH_RELATIONS_CDC === "0" ? ingest : [...ingest, ...(await benchRelationsCdc())];
}
