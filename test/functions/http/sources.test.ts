import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createCsvFilesApp } from "../../../functions/http/csv-files.js";
import { createSourcesApp } from "../../../functions/http/sources.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices } from "../../support/services.js";

const secret = "chat";

describe("GET /sources and POST /schema", () => {
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let inlineContext: AppContext;

  const sources = (schema: string) =>
    JSON.stringify([
      { name: "shop", kind: "postgresql", url_env: "TEST_SHOP_URL", schema, description: "Shop database" },
      { name: "broken", kind: "postgresql", url: "postgresql://chat:chat@127.0.0.1:1/chat_test" },
      {
        name: "wrongpw",
        kind: "postgresql",
        host: "127.0.0.1",
        port: Number(new URL(testServices.postgresUrl).port),
        database: "chat_test",
        user: "chat",
        password: "wrong-pw-42",
      },
      { name: "docs", kind: "mongodb", url: testServices.mongoUrl, database: testServices.mongoDatabase },
      { name: "samples", kind: "csv", path: "samples" },
    ]);

  beforeAll(async () => {
    fixture = await createPostgresFixture("CREATE TABLE products (id int PRIMARY KEY, title text, price numeric);");
    const env = { SOURCES: sources(fixture.schema), TEST_SHOP_URL: testServices.postgresUrl };
    context = createTestContext(env);
    inlineContext = createTestContext({ ...env, ALLOW_INLINE_CONNECTIONS: "true" });
  });
  afterAll(async () => {
    await context?.close();
    await inlineContext?.close();
    await fixture?.drop();
  });

  const post = (body: unknown, ctx = context) =>
    createSourcesApp(() => ctx).request("/schema", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });

  it("lists names and kinds, never connection settings", async () => {
    const response = await createSourcesApp(() => context).request("/sources");
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text).sources).toContainEqual({ name: "shop", kind: "postgresql", description: "Shop database" });
    expect(text).not.toMatch(/wrong-pw-42|127\.0\.0\.1|postgresql:\/\/|chat_test/);
    expect(JSON.parse(text).inline_connections).toBe(false);
  });

  it("describes a PostgreSQL table and lists a source's tables", async () => {
    const table = await readJson(await post({ source: "shop", table_or_collection: "products" }));
    expect(table.table.primaryKey).toEqual(["id"]);
    expect(table.table.columns.map((column: { name: string }) => column.name)).toEqual(["id", "title", "price"]);
    const listing = await readJson(await post({ source: "samples" }));
    expect(listing.tables.map((entry: { name: string }) => entry.name)).toEqual([
      "customers.csv",
      "order_lines.csv",
      "orders.csv",
      "products.csv",
    ]);
  });

  it("answers unknown sources and tables with 404 naming them", async () => {
    const unknownSource = await post({ source: "nope" });
    expect(unknownSource.status).toBe(404);
    expect((await readJson(unknownSource)).error.message).toContain("'nope'");
    const unknownTable = await post({ source: "shop", table_or_collection: "ghosts" });
    expect(unknownTable.status).toBe(404);
    expect((await readJson(unknownTable)).error.message).toContain("'ghosts'");
  });

  it("answers malformed requests with 400", async () => {
    expect((await post({ source: "bad name; drop" })).status).toBe(400);
    expect((await post({})).status).toBe(400);
    expect((await post({ source: "shop", db_type: "mongodb" })).status).toBe(400);
  });

  it("answers an unreachable database with 503 naming the source only", async () => {
    const response = await post({ source: "broken" });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).toContain("broken");
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
  });

  it("says credentials were refused without showing them", async () => {
    const response = await post({ source: "wrongpw" });
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(text).toContain("refused the configured credentials");
    expect(text).not.toContain("wrong-pw-42");
  });

  it("refuses inline connection_params unless enabled, and never echoes them", async () => {
    const inline = {
      db_type: "postgresql",
      table_or_collection: "products",
      connection_params: {
        host: "127.0.0.1",
        port: Number(new URL(testServices.postgresUrl).port),
        database: "chat_test",
        user: "chat",
        password: secret,
        schema: fixture.schema,
      },
    };
    const refused = await post(inline);
    expect(refused.status).toBe(403);
    const allowed = await post(inline, inlineContext);
    expect(allowed.status).toBe(200);
    const text = await allowed.text();
    expect(JSON.parse(text).table.primaryKey).toEqual(["id"]);
    expect(text).not.toContain(`"${secret}"`);
    expect(text).not.toContain("password");
  });
});

describe("POST /validate-csv and GET /csv-sample", () => {
  const context = createTestContext();
  const app = createCsvFilesApp(() => context);
  afterAll(() => context.close());

  it("validates a CSV file in the data folder", async () => {
    const response = await app.request("/validate-csv", {
      method: "POST",
      body: JSON.stringify({ file_path: "samples/products.csv" }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(200);
    expect(await readJson(response)).toMatchObject({ valid: true, row_count: 300, errors: [] });
  });

  it("samples the first rows", async () => {
    const body = await readJson(await app.request("/csv-sample?file_path=samples/products.csv&rows=2"));
    expect(body.columns[0]).toBe("id");
    expect(body.rows).toHaveLength(2);
    expect(body.rows[0].id).toBe("1001");
  });

  it("refuses paths outside the data folder with 400", async () => {
    for (const path of ["../package.json", "/etc/passwd", "samples/../../README.md"]) {
      const response = await app.request(`/csv-sample?file_path=${encodeURIComponent(path)}`);
      expect(response.status, path).toBe(400);
      expect(await response.text()).not.toContain("/work");
    }
  });
});
