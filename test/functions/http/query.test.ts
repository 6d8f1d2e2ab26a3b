import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../../core/auth/index.js";
import { stateStore, syncSpecSchema } from "../../../core/sync/index.js";
import { createQueryApp } from "../../../functions/http/query.js";
import { createQueryFixture, type QueryFixture } from "../../core/query/query-fixture.js";

const chatKey = generateApiKey();
const queryKey = generateApiKey();
const adminKey = generateApiKey();

describe("POST /query: a structured query over HTTP, for admin keys and keys with the query scope", {
  timeout: 60_000,
}, () => {
  let fixture: QueryFixture;
  let app: ReturnType<typeof createQueryApp>;

  beforeAll(async () => {
    fixture = await createQueryFixture("httpquery", {
      QUERY_TIMEOUT_MS: "200",
      API_KEYS: JSON.stringify([
        { name: "web", sha256: chatKey.sha256, scopes: ["chat"] },
        { name: "reports", sha256: queryKey.sha256, scopes: ["query"] },
        { name: "ops", sha256: adminKey.sha256, scopes: ["admin"] },
      ]),
    });
    await fixture.postgres.admin.query(
      `CREATE VIEW ${fixture.postgres.schema}.slow AS SELECT g AS n, pg_sleep(0.1)::text AS pause FROM generate_series(1, 50) g`,
    );
    app = createQueryApp(() => fixture.context);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const post = (body: unknown, key?: string) =>
    app.request("/query", {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const cheapestDesk = () => ({
    source: fixture.sources.csv,
    table: "items.csv",
    filters: [{ column: "name", op: "contains", value: "standing desk" }],
    columns: ["name", "price"],
    order_by: [{ key: "price" }],
    limit: 1,
  });

  it("answers a key with the query scope, and an admin key, with the spec, columns and rows", async () => {
    for (const key of [queryKey.key, adminKey.key]) {
      const response = await post(cheapestDesk(), key);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        spec: { ...cheapestDesk(), order_by: [{ key: "price", direction: "asc" }] },
        columns: [
          { name: "name", type: "text" },
          { name: "price", type: "number" },
        ],
        rows: [{ name: "Solace Standing Desk Classic", price: 151.48 }],
        truncated: true,
        execution: "streamed_in_code",
      });
    }
  });

  it("refuses no key (401) and a chat-only key (403)", async () => {
    expect((await post(cheapestDesk())).status).toBe(401);
    const response = await post(cheapestDesk(), chatKey.key);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      error: { code: "forbidden", message: expect.stringContaining("query") },
    });
  });

  it("answers mistakes with a 4xx naming them", async () => {
    const cases: [unknown, number, string][] = [
      ["{", 400, "bad_request"],
      [{ ...cheapestDesk(), limit: 100_000 }, 400, "validation_error"],
      [{ ...cheapestDesk(), filters: [{ column: "name", op: "regex", value: "x" }] }, 400, "validation_error"],
      [{ ...cheapestDesk(), columns: ["name", "colour"] }, 400, "invalid_input"],
      [{ ...cheapestDesk(), table: "hidden.csv" }, 400, "invalid_input"],
      [
        { ...cheapestDesk(), aggregates: [{ function: "sum", column: "name" }], columns: undefined },
        400,
        "invalid_input",
      ],
      [{ ...cheapestDesk(), source: "no_such_source" }, 404, "not_found"],
    ];
    for (const [body, status, code] of cases) {
      const response = await post(body, queryKey.key);
      const text = await response.text();
      expect(response.status, text).toBe(status);
      expect(JSON.parse(text), text).toMatchObject({ error: { code } });
    }
    const unknown = await (await post({ ...cheapestDesk(), columns: ["name", "colour"] }, queryKey.key)).json();
    expect(JSON.stringify(unknown)).toContain("colour");
  });

  it("answers a query cut by QUERY_TIMEOUT_MS with 504 query_timeout", async () => {
    const response = await post({ source: fixture.sources.open, table: "slow", columns: ["pause"] }, adminKey.key);
    // `open` lists no query_tables and nothing was ingested there: refused before anything runs.
    expect(response.status).toBe(400);
    const listed = await post({ source: fixture.sources.postgres, table: "items", columns: ["id"] }, adminKey.key);
    expect(listed.status).toBe(200);
    await stateStore(fixture.context).saveSpec(
      fixture.sources.open,
      "slow",
      syncSpecSchema.parse({ text_fields: ["pause"] }),
      [],
    );
    const slow = await post({ source: fixture.sources.open, table: "slow", columns: ["pause"] }, adminKey.key);
    expect(slow.status).toBe(504);
    expect(await slow.json()).toMatchObject({
      error: { code: "query_timeout", message: expect.stringContaining("200 ms") },
    });
  });
});
