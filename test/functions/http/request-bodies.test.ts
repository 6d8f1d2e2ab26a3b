import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createLocalApp } from "../../../functions/local/server.js";
import { createTestContext } from "../../support/app-context.js";
import { createTestLocalApp } from "../../support/function-apps.js";
import { readJson } from "../../support/http.js";
import { SchemaArbitraries } from "../../support/openapi-arbitraries.js";
import { listEndpoints, type OpenApiDocument } from "../../support/openapi-schema.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";

const document = (await (await createLocalApp().request("/openapi.json")).json()) as OpenApiDocument;
const withBodies = listEndpoints(document).filter(
  (endpoint) => endpoint.operation.requestBody?.content["application/json"]?.schema,
);

describe("request bodies: unknown fields refused by name, the seed's own names kept", () => {
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let inlineContext: AppContext;
  const source = `bodies_${uniqueName("pg").replace(/-/g, "_")}`;

  beforeAll(async () => {
    fixture = await createPostgresFixture("CREATE TABLE products (id int PRIMARY KEY, name text, price numeric);");
    const env = {
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
      RATE_LIMIT_PER_MINUTE: "0",
      // Nothing here may reach Kafka Connect: a request that got past validation would show as a 503.
      KAFKA_CONNECT_URL: "http://127.0.0.1:9",
    };
    context = createTestContext(env);
    inlineContext = createTestContext({ ...env, ALLOW_INLINE_CONNECTIONS: "true" });
  });
  afterAll(async () => {
    await context?.close();
    await inlineContext?.close();
    await fixture?.drop();
  });

  const post = (url: string, body: unknown, ctx = context) =>
    createTestLocalApp(ctx).request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("documents every JSON request body as closed (additionalProperties: false)", () => {
    const schemas = new SchemaArbitraries(document);
    const open = withBodies
      .filter((endpoint) => {
        const schema = endpoint.operation.requestBody?.content["application/json"]?.schema ?? {};
        return schemas.resolve(schema).additionalProperties !== false;
      })
      .map((endpoint) => `${endpoint.method} ${endpoint.path}`);
    expect(withBodies.length).toBeGreaterThanOrEqual(8);
    expect(open).toEqual([]);
  });

  it("refuses an unknown field in every documented body with a 400 naming it", async () => {
    const schemas = new SchemaArbitraries(document, { source: [source], name: [source], table: ["products"] });
    for (const endpoint of withBodies) {
      const schema = endpoint.operation.requestBody?.content["application/json"]?.schema ?? {};
      const valid = schemas.example(schema) as Record<string, unknown>;
      const url = endpoint.path.replace(/\{\w+\}/g, source);
      const response = await post(url, { ...valid, newer_client_field: true });
      const body = await readJson(response);
      expect({ route: `${endpoint.method} ${endpoint.path}`, status: response.status, code: body.error?.code }).toEqual(
        {
          route: `${endpoint.method} ${endpoint.path}`,
          status: 400,
          code: "validation_error",
        },
      );
      expect(body.error.message).toContain("newer_client_field");
    }
  });

  it("refuses a misspelt `filters` on /ingest-data instead of ingesting the whole table", async () => {
    const response = await post("/ingest-data", {
      source,
      table_or_collection: "products",
      text_fields: ["name"],
      filter: [{ column: "price", op: "gt", value: 10 }],
    });
    expect(response.status).toBe(400);
    expect((await readJson(response)).error.message).toContain('"filter"');
    expect(await context.vectors?.count(source)).toBe(0);
  });

  it("refuses a misspelt key inside a row filter rather than reading it as 'eq'", async () => {
    const response = await post("/ingest-data", {
      source,
      table_or_collection: "products",
      text_fields: ["name"],
      filters: [{ column: "price", operator: "gt", value: 10 }],
    });
    expect(response.status).toBe(400);
    expect((await readJson(response)).error.message).toContain('"operator"');
  });

  it("refuses a provider outside the documented list, naming it and the known ones", async () => {
    const response = await post("/chat", { user_name: "ada", message: "hi", provider: "nope" });
    expect(response.status).toBe(400);
    const { error } = await readJson(response);
    expect(error.code).toBe("validation_error");
    expect(error.message).toContain("'nope'");
    expect(error.message).toContain("extractive, gemini, openai");
    expect(document.components?.schemas?.ChatRequest?.properties?.provider?.enum).toEqual([
      "extractive",
      "gemini",
      "openai",
    ]);
  });

  it("still accepts the seed's field names: db_type and connection_params", async () => {
    const seed = {
      db_type: "postgresql",
      connection_params: { connection_string: testServices.postgresUrl, schema: fixture.schema },
      table_or_collection: "products",
    };
    const allowed = await post("/schema", seed, inlineContext);
    expect(allowed.status).toBe(200);
    expect((await readJson(allowed)).table.columns.map((column: { name: string }) => column.name)).toEqual([
      "id",
      "name",
      "price",
    ]);
    // Where inline connections are off the same body is understood, and refused for that reason (a documented 403).
    const refused = await post("/schema", seed);
    expect(refused.status).toBe(403);
    expect((await readJson(refused)).error.code).toBe("inline_connections_disabled");
    expect(Object.keys(document.paths["/schema"]?.post?.responses ?? {})).toContain("403");
  });
});
