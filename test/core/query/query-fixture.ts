import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AppContext } from "../../../core/context/index.js";
import { createTestContext } from "../../support/app-context.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { dropMongoDatabase, scratchMongoDatabase } from "../../support/scratch-mongo.js";
import { testServices, uniqueName } from "../../support/services.js";
import { dropRedisPrefix } from "../chat/chat-fixture.js";

/** One catalogue, loaded the same into PostgreSQL, FerretDB and a CSV file; null is a missing field or an empty cell. */
export const items = [
  {
    id: 1,
    name: "Solace Standing Desk Classic",
    category: "Desks",
    price: 151.48,
    stock: 5,
    released: "2024-01-15",
    updated_at: "2024-03-01T10:00:00Z",
    active: true,
  },
  {
    id: 2,
    name: "Solace Standing Desk Pro",
    category: "Desks",
    price: 389,
    stock: null,
    released: "2024-06-01",
    updated_at: "2024-06-02T08:30:00Z",
    active: true,
  },
  {
    id: 3,
    name: "Aurora Desk Lamp",
    category: "Lighting",
    price: 34.5,
    stock: 40,
    released: "2023-11-20",
    updated_at: null,
    active: false,
  },
  {
    id: 4,
    name: "Kestrel Headlamp",
    category: "Lighting",
    price: 24.99,
    stock: 0,
    released: null,
    updated_at: "2024-02-10T12:00:00Z",
    active: true,
  },
  {
    id: 5,
    name: "Orbit Blender",
    category: "Kitchen",
    price: 89.95,
    stock: 12,
    released: "2022-05-05",
    updated_at: "2023-01-01T00:00:00Z",
    active: null,
  },
  {
    id: 6,
    name: "orbit mixer",
    category: null,
    price: null,
    stock: 3,
    released: "2024-02-29",
    updated_at: "2024-02-29T23:59:59Z",
    active: false,
  },
  {
    id: 7,
    name: "Zephyr Fan",
    category: "Home",
    price: 9,
    stock: 100,
    released: "2021-07-04",
    updated_at: "2021-07-04T00:00:00Z",
    active: true,
  },
  {
    id: 8,
    name: "Über Kettle",
    category: "Kitchen",
    price: 45,
    stock: 7,
    released: "2024-06-01",
    updated_at: "2024-05-31T22:00:00-02:00",
    active: true,
  },
];

type Item = (typeof items)[number];
const columns = Object.keys(items[0] as Item) as (keyof Item)[];

export interface QueryFixture {
  context: AppContext;
  sources: { postgres: string; mongo: string; csv: string; jsonl: string; open: string };
  tables: { postgres: string; mongo: string; csv: string; jsonl: string };
  postgres: Awaited<ReturnType<typeof createPostgresFixture>>;
  /** The CSV and JSONL sources' folder. */
  catalogue: string;
  close(): Promise<void>;
}

/** The catalogue in each kind, each source listing it in query_tables; `open` lists nothing (ingested tables only). */
export async function createQueryFixture(label: string, overrides: Record<string, string> = {}): Promise<QueryFixture> {
  const run = uniqueName(label).replace(/-/g, "_");
  const postgres = await createPostgresFixture(
    `CREATE TABLE items (id int PRIMARY KEY, name text, category varchar(40), price numeric(10, 2), stock int,
                         released date, updated_at timestamptz, active boolean);
     CREATE TABLE hidden (id int);`,
  );
  for (const item of items) {
    await postgres.admin.query(
      `INSERT INTO ${postgres.schema}.items VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      columns.map((column) => item[column]),
    );
  }
  const { client, database } = await scratchMongoDatabase(run);
  await client
    .db(database)
    .collection("items")
    .insertMany(
      items.map((item) =>
        Object.fromEntries(
          columns
            // A null stock is a missing field in MongoDB; the other nulls are stored as null.
            .filter((column) => !(column === "stock" && item.stock === null))
            .map((column) => {
              const value = item[column];
              const isDate = (column === "released" || column === "updated_at") && typeof value === "string";
              return [column, isDate ? new Date(column === "released" ? `${value}T00:00:00Z` : value) : value];
            }),
        ),
      ),
    );
  await client.db(database).collection("hidden").insertOne({ id: 1 });
  const dataDir = await mkdtemp(path.join(tmpdir(), "cwd-query-"));
  await mkdir(path.join(dataDir, "catalogue"));
  const csv = [
    columns.join(","),
    ...items.map((item) =>
      columns.map((column) => (item[column] === null ? "" : `"${String(item[column])}"`)).join(","),
    ),
  ].join("\n");
  await writeFile(path.join(dataDir, "catalogue", "items.csv"), `${csv}\n`);
  await writeFile(path.join(dataDir, "catalogue", "hidden.csv"), "id\n1\n");
  // JSONL keeps JSON's numbers, booleans and nulls (a null stock is a missing key); dates are text.
  const jsonl = items.map((item) => {
    const { stock, ...rest } = item;
    return JSON.stringify(stock === null ? rest : item);
  });
  await writeFile(path.join(dataDir, "catalogue", "items.jsonl"), `${jsonl.join("\n")}\n`);

  const sources = {
    postgres: `pg_${run}`,
    mongo: `mg_${run}`,
    csv: `csv_${run}`,
    jsonl: `jl_${run}`,
    open: `open_${run}`,
  };
  const prefix = `${run}:`;
  const context = createTestContext({
    REDIS_KEY_PREFIX: prefix,
    DATA_DIR: dataDir,
    ...overrides,
    SOURCES: JSON.stringify([
      {
        name: sources.postgres,
        kind: "postgresql",
        url: testServices.postgresUrl,
        schema: postgres.schema,
        query_tables: ["items", "gone"],
      },
      { name: sources.mongo, kind: "mongodb", url: testServices.mongoUrl, database, query_tables: ["items"] },
      { name: sources.csv, kind: "csv", path: "catalogue", query_tables: ["items.csv", "big.csv"] },
      { name: sources.jsonl, kind: "jsonl", path: "catalogue", query_tables: ["items.jsonl"] },
      { name: sources.open, kind: "postgresql", url: testServices.postgresUrl, schema: postgres.schema },
    ]),
  });
  return {
    context,
    sources,
    tables: { postgres: "items", mongo: "items", csv: "items.csv", jsonl: "items.jsonl" },
    postgres,
    catalogue: path.join(dataDir, "catalogue"),
    async close() {
      await dropRedisPrefix(context, prefix);
      await context.close();
      await postgres.drop();
      await dropMongoDatabase(client, database);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
