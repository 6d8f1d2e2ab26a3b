import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve } from "@hono/node-server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createTestContext } from "../../support/app-context.js";
import { createTestLocalApp } from "../../support/function-apps.js";
import { readJson } from "../../support/http.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

const shopSql = `
  CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL);
  CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers (id), status text);
  CREATE TABLE order_lines (id integer PRIMARY KEY, order_id integer NOT NULL REFERENCES orders (id), product text);
  CREATE TABLE notes (id integer PRIMARY KEY, body text);
  INSERT INTO customers VALUES (1, 'Ada Lovelace');
  INSERT INTO orders VALUES (100, 1, 'shipped');
  INSERT INTO order_lines VALUES (1000, 100, 'Orbit Standing Desk Max');
`;

const ordersCustomer = {
  name: "orders_customer_id_fkey",
  table: "orders",
  column: "customer_id",
  referencedTable: "customers",
  referencedColumn: "id",
  columns: ["customer_id"],
  referencedColumns: ["id"],
};
const linesOrder = {
  name: "order_lines_order_id_fkey",
  table: "order_lines",
  column: "order_id",
  referencedTable: "orders",
  referencedColumn: "id",
  columns: ["order_id"],
  referencedColumns: ["id"],
};

/** Eighty numbered sentences, a paragraph break among them: far over the model's 256-token window. */
const sentences = Array.from(
  { length: 80 },
  (_, index) => `Sentence ${index + 1} records how the amber lighthouse keeper logged storm number ${index + 1}.`,
);
const longBody = `${sentences.slice(0, 40).join(" ")}\n${sentences.slice(40).join(" ")}`;
const articlesCsv = `id,title,body\n1,The keeper's log,"${longBody}"\n2,A short note,Nothing happened today.\n`;

describe("MCP describe_table and get_row over real sources, with the SDK's client", { timeout: 120_000 }, () => {
  const run = uniqueName("mcptables").replace(/-/g, "_");
  const pgSource = `pg_${run}`;
  const csvSource = `csv_${run}`;
  let database: Awaited<ReturnType<typeof createPostgresFixture>>;
  let dataDir: string;
  let context: AppContext;
  let server: Server;
  let baseUrl: string;
  let client: Client;

  const call = async (name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    expect(result.isError, JSON.stringify(result.structuredContent)).toBeFalsy();
    return result;
  };

  beforeAll(async () => {
    database = await createPostgresFixture(shopSql);
    dataDir = await mkdtemp(path.join(tmpdir(), "cwd-mcptables-"));
    await writeFile(path.join(dataDir, "articles.csv"), articlesCsv);
    context = createTestContext({
      REDIS_KEY_PREFIX: `${run}:`,
      LLM_PROVIDER: "extractive",
      DATA_DIR: dataDir,
      SOURCES: JSON.stringify([
        { name: pgSource, kind: "postgresql", url: testServices.postgresUrl, schema: database.schema },
        { name: csvSource, kind: "csv", path: "." },
      ]),
    });
    server = serve({ fetch: createTestLocalApp(context).fetch, port: 0, hostname: "127.0.0.1" }) as Server;
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new Client({ name: "mcp-tables-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`)));
  }, 120_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    if (server) await new Promise((resolve) => server.close(resolve));
    await releaseRun(context, { sources: [pgSource, csvSource], redisPrefix: `${run}:` });
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("describe_table gives a PostgreSQL table's foreign keys both ways, as POST /schema does", async () => {
    const described = await call("describe_table", { source: pgSource, table: "orders" });
    expect(described.structuredContent).toMatchObject({
      source: pgSource,
      kind: "postgresql",
      table: "orders",
      primary_key: ["id"],
      relations: { outgoing: [ordersCustomer], incoming: [linesOrder] },
    });
    const text = (described.content[0] as { text: string }).text.split("\n");
    expect(text).toContain("references: orders.customer_id → customers.id");
    expect(text).toContain("referenced by: order_lines.order_id → orders.id");

    const schema = await fetch(`${baseUrl}/schema`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ source: pgSource, table_or_collection: "orders" }),
    });
    expect(schema.status).toBe(200);
    expect((described.structuredContent as { relations: unknown }).relations).toEqual(
      (await readJson(schema)).table.foreignKeys,
    );

    // One direction only, and none at all: empty lists, since the catalogue was read.
    const customers = await call("describe_table", { source: pgSource, table: "customers" });
    expect((customers.structuredContent as { relations: unknown }).relations).toEqual({
      outgoing: [],
      incoming: [ordersCustomer],
    });
    const notes = await call("describe_table", { source: pgSource, table: "notes" });
    expect((notes.structuredContent as { relations: unknown }).relations).toEqual({ outgoing: [], incoming: [] });
    expect((notes.content[0] as { text: string }).text.split("\n")).toEqual(
      expect.arrayContaining(["references: none", "referenced by: none"]),
    );
  });

  it("the table resource carries the same relations", async () => {
    const read = await client.readResource({ uri: `chat-data://sources/${pgSource}/tables/order_lines` });
    const content = read.contents[0];
    const table = JSON.parse(content && "text" in content ? content.text : "null");
    expect(table.relations).toEqual({ outgoing: [linesOrder], incoming: [] });
  });

  it("describe_table says relations are unknown (null) for a CSV file, which declares no foreign keys", async () => {
    const described = await call("describe_table", { source: csvSource, table: "articles.csv" });
    expect(described.structuredContent).toMatchObject({ kind: "csv", table: "articles.csv", relations: null });
    expect((described.content[0] as { text: string }).text.split("\n")).toContain(
      "foreign keys: not declared by this kind of source",
    );
  });

  it("get_row gives a row stored in several chunks back whole: its text exactly, each sentence once, in order", async () => {
    const ingested = await call("ingest_table", {
      source: csvSource,
      table: "articles.csv",
      text_fields: ["title", "body"],
    });
    expect(ingested.structuredContent).toMatchObject({ documents: 2, failed: 0 });
    const stored = await context.requireVectors().vectors.get(csvSource, {
      where: { $and: [{ table: { $eq: "articles.csv" } }, { row_key: { $eq: "1" } }] },
    });
    expect(stored.length).toBeGreaterThan(2);
    const text = `title: The keeper's log\nbody: ${longBody}`;
    // The chunks overlap (CHUNK_OVERLAP_TOKENS): joined as stored, the words at each seam come twice.
    const asStored = [...stored]
      .sort((a, b) => Number(a.metadata.chunk) - Number(b.metadata.chunk))
      .map((chunk) => chunk.content)
      .join("\n");
    expect(asStored).not.toBe(text);

    const id = `${csvSource}:articles.csv:1`;
    const row = await call("get_row", { id });
    expect(row.structuredContent).toMatchObject({
      id,
      source: csvSource,
      table: "articles.csv",
      row_key: "1",
      chunks: stored.length,
      text,
    });
    const returned = (row.structuredContent as { text: string }).text;
    const positions = sentences.map((sentence) => returned.indexOf(sentence));
    for (const [index, sentence] of sentences.entries()) {
      expect(returned.split(sentence), sentence).toHaveLength(2);
      if (index > 0) expect(positions[index]).toBeGreaterThan(positions[index - 1] ?? Infinity);
    }
    expect((row.structuredContent as { metadata: Record<string, unknown> }).metadata).not.toHaveProperty("chunk");
    expect((row.content[0] as { text: string }).text).toBe(`${id} (${csvSource}/articles.csv key 1)\n${text}`);
  });
});
