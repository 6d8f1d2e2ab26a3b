import { loadavg } from "node:os";
import pg from "pg";
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
 * written by one SQL join before the clock starts, and the same other columns (so the same metadata).
 * Ingesting it plain gives documents of (nearly) the joined documents' length and the same metadata
 * with no relation machinery at all, so the joined run's cost splits into what
 * its longer text costs and what fetching and rendering related rows costs.
 */
const flatTable = `CREATE TABLE orders_flat AS
  SELECT o.id, o.customer_id, o.billing_customer_id, o.status, o.note, concat_ws(E'\\n',
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

/** Each variant writes to a source (a collection and keyword rows) of its own, so none replaces another's vectors. */
const sourceOf = (variant: Variant) => `${source}_${variant.name}`;

/** Orders per slice: one page of related lookups, so a slice costs what a page costs in a whole-table ingest. */
const sliceRows = 1_000;

/** What one variant spent, summed over its slices. */
interface Tally {
  seconds: number;
  documents: number;
  chunks: number;
  relatedSeconds: number;
  relatedQueries: number;
  countSeconds: number;
  embedSeconds: number;
  writeSeconds: number;
  /** Every text embedded, to count its tokens after the clock stops. */
  texts: string[];
  tokens: number;
}

const newTally = (): Tally => ({
  seconds: 0,
  documents: 0,
  chunks: 0,
  relatedSeconds: 0,
  relatedQueries: 0,
  countSeconds: 0,
  embedSeconds: 0,
  writeSeconds: 0,
  texts: [],
  tokens: 0,
});

/**
 * Wraps `method` of `target` so each call's time is added to `add` of the tally `current()` names
 * (none: not counted); returns what puts the method back.
 */
function timeInto<T extends object>(
  target: T,
  method: keyof T,
  current: () => Tally | undefined,
  add: (tally: Tally, seconds: number, args: unknown[]) => void,
): () => void {
  const original = target[method] as (...args: unknown[]) => Promise<unknown>;
  Object.assign(target, {
    [method]: async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await original.apply(target, args);
      } finally {
        const tally = current();
        if (tally) add(tally, (performance.now() - started) / 1000, args);
      }
    },
  });
  return () => Object.assign(target, { [method]: original });
}

/**
 * Join-aware ingestion against the same orders without relations, and against the same orders with
 * the related text already in a column (flat), in one run: two many-to-one relations (customer,
 * billing customer) and one one-to-many (lines). Related documents are longer, so every stage has
 * more text to carry; the flat variant carries the same text without lookups, so what the joins cost
 * in queries and rendering and what they cost in text can be told apart. BENCH_RELATIONS_EMBEDDER=hash
 * replaces the model by the hash embedder, to see the pipeline's own cost (docs/relations.md#benchmark).
 *
 * The variants alternate, a slice of 1,000 orders each in turn, the order rotating every round: on a
 * shared machine the load moves the model's rate by 2–3× within minutes, and a variant run whole after
 * another met a different machine (and the first to embed long texts paid the runtime's warm-up for
 * their shapes, which an untimed warm-up with both lengths now pays).
 */
async function benchRelationsIngest(): Promise<BenchResult[]> {
  await createShop(orders);
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await admin.query(`SET search_path TO ${schema}; ${flatTable}`);
  const samples = await admin.query<{ status: string; note: string; related: string }>(
    `SELECT status, note, related FROM ${schema}.orders_flat ORDER BY id LIMIT 64`,
  );
  await admin.end();
  // The keyword index in a scratch database of its own: its writes count, and no shared index is touched.
  const keywords = await scratchDatabase("benchrelations");
  const context = benchContext({
    SYNC_INGEST_MAX_ROWS: String(Math.max(orders, 1)),
    SEARCH_DATABASE_URL: keywords.url,
    ...(embedderMode === "hash" ? { EMBEDDING_PROVIDER: "hash" } : {}),
    SOURCES: JSON.stringify(
      variants.map((variant) => ({
        name: sourceOf(variant),
        kind: "postgresql",
        url: testServices.postgresUrl,
        schema,
      })),
    ),
  });
  const vectors = context.requireVectors().vectors;
  const { embedder } = context;
  const tallies = Object.fromEntries(variants.map(({ name }) => [name, newTally()])) as Record<Variant["name"], Tally>;
  let current: Tally | undefined;
  const restore: (() => void)[] = [];
  try {
    await embedder.warmUp();
    for (const variant of variants) await vectors.deleteSource(sourceOf(variant));
    // Untimed: the embedder's first batches of short and of long texts.
    const short = samples.rows.map((row) => `status: ${row.status}\nnote: ${row.note}`);
    await embedder.embed(short);
    await embedder.embed(short.map((text, index) => `${text}\nrelated: ${samples.rows[index]?.related}`));

    // Where the wall time goes: related queries, token counting for chunking (in the read loop),
    // embedding, and writes (Chroma and the keyword index). Embedding and writes overlap reading.
    for (const variant of variants) {
      restore.push(
        timeInto(
          context.sources.get(sourceOf(variant)),
          "related",
          () => current,
          (tally, seconds) => {
            tally.relatedSeconds += seconds;
            tally.relatedQueries++;
          },
        ),
      );
    }
    restore.push(
      timeInto(
        embedder,
        "countTokens",
        () => current,
        (tally, seconds) => {
          tally.countSeconds += seconds;
        },
      ),
      timeInto(
        embedder,
        "embed",
        () => current,
        (tally, seconds, [texts]) => {
          tally.embedSeconds += seconds;
          tally.texts.push(...(texts as string[]));
        },
      ),
      timeInto(
        vectors,
        "upsert",
        () => current,
        (tally, seconds) => {
          tally.writeSeconds += seconds;
        },
      ),
    );

    const rounds = Math.ceil(orders / sliceRows);
    const started = performance.now();
    let reported = started;
    for (let round = 0; round < rounds; round++) {
      const filters = [
        { column: "id", op: "gt" as const, value: round * sliceRows },
        { column: "id", op: "lte" as const, value: (round + 1) * sliceRows },
      ];
      for (let turn = 0; turn < variants.length; turn++) {
        const variant = variants[(round + turn) % variants.length] as Variant;
        const tally = tallies[variant.name];
        current = tally;
        const sliceStarted = performance.now();
        const summary = await ingestTable(
          { ...context, vectors },
          {
            source: sourceOf(variant),
            table: variant.table,
            textFields: variant.textFields,
            include: variant.include,
            filters,
          },
        );
        tally.seconds += (performance.now() - sliceStarted) / 1000;
        tally.documents += summary.documents;
        tally.chunks += summary.chunks;
        current = undefined;
      }
      const now = performance.now();
      if (now - reported >= 20_000 || round === rounds - 1) {
        reported = now;
        const elapsed = (now - started) / 1000;
        const rates = variants
          .map(({ name }) => `${name} ${(tallies[name].documents / tallies[name].seconds).toFixed(1)}`)
          .join(", ");
        console.log(
          `  round ${round + 1} of ${rounds}: ${Math.min((round + 1) * sliceRows, orders)} of ${orders} orders per variant in ${Math.round(elapsed)} s (docs/s: ${rates}), load ${(loadavg()[0] ?? 0).toFixed(1)}, ETA ${Math.round((elapsed / (round + 1)) * (rounds - round - 1))} s`,
        );
      }
    }
    for (const undo of restore.splice(0).reverse()) undo();
    for (const tally of Object.values(tallies)) {
      for (let index = 0; index < tally.texts.length; index += 1_000) {
        for (const count of await embedder.countTokens(tally.texts.slice(index, index + 1_000))) tally.tokens += count;
      }
    }

    const { plain, relations: joined, flat } = tallies;
    const stored = Object.fromEntries(
      await Promise.all(variants.map(async (variant) => [variant.name, await vectors.count(sourceOf(variant))])),
    ) as Record<Variant["name"], number>;
    expectMeasured("relations", {
      ...Object.fromEntries(
        variants.flatMap(({ name }) => [
          [
            `${name} ingested ${tallies[name].documents} of ${orders} orders`,
            tallies[name].documents === orders && orders > 0,
          ],
          [
            `${name} stored ${stored[name]} vectors for ${tallies[name].chunks} chunks`,
            stored[name] === tallies[name].chunks,
          ],
        ]),
      ),
      [`${joined.relatedQueries} related queries for ${rounds} pages of 1,000`]: joined.relatedQueries === 3 * rounds,
      [`no related queries without relations (${plain.relatedQueries}, ${flat.relatedQueries})`]:
        plain.relatedQueries === 0 && flat.relatedQueries === 0,
    });
    const documentRate = (tally: Tally) => tally.documents / tally.seconds;
    const tokenRate = (tally: Tally) => tally.tokens / tally.seconds;
    const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
    const figures = (name: string, tally: Tally) => ({
      [`${name}_documents_per_second`]: round(documentRate(tally)),
      [`${name}_tokens_per_second`]: Math.round(tokenRate(tally)),
      [`${name}_tokens_per_document`]: round(tally.tokens / tally.texts.length),
      [`${name}_seconds`]: round(tally.seconds),
      [`${name}_embed_seconds`]: round(tally.embedSeconds),
      [`${name}_write_seconds`]: round(tally.writeSeconds),
      [`${name}_token_count_seconds`]: round(tally.countSeconds, 2),
    });
    return [
      {
        name: "relations",
        conditions: {
          orders,
          embedder:
            embedderMode === "hash"
              ? "EMBEDDING_PROVIDER=hash (the model's tokenizer, hashed token ids): the pipeline without the model"
              : embedder.model,
          relations: "customer and billing customer (many-to-one), lines (one-to-many, limit 20)",
          flat: "orders_flat: the same orders with the related lines precomputed in a column, ingested plain (same text, no lookups)",
          keyword_index: "on (a scratch database of its own)",
          rounds: `${rounds} rounds; in each, every variant ingests the same ${sliceRows} orders (one page of lookups), the order rotating`,
          batchSize: context.settings.EMBEDDING_BATCH_SIZE,
          timing:
            "wall time of ingestTable summed over a variant's slices; embed and write seconds are summed call times, which overlap reading",
          goal: "relations ≥ 0.85× the documents per second of plain",
          seconds: round((performance.now() - started) / 1000),
          ...machineConditions(),
        },
        metrics: {
          ...figures("plain", plain),
          ...figures("relations", joined),
          ...figures("flat", flat),
          ratio: round(documentRate(joined) / documentRate(plain), 2),
          tokens_per_second_ratio: round(tokenRate(joined) / tokenRate(plain), 2),
          relations_vs_flat_ratio: round(documentRate(joined) / documentRate(flat), 2),
          related_queries: joined.relatedQueries,
          related_query_seconds: round(joined.relatedSeconds, 2),
          related_query_share: round(joined.relatedSeconds / joined.seconds, 3),
        },
      },
    ];
  } finally {
    for (const undo of restore.reverse()) undo();
    for (const variant of variants) await vectors.deleteSource(sourceOf(variant)).catch(() => undefined);
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
