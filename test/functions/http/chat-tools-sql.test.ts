import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { dropRedisPrefix } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { type OpenAiDouble, startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";
import { chatClient } from "./chat-tools-fixture.js";

interface SentBody {
  messages: { role: string; content: string | null; tool_call_id?: string }[];
  tools?: { function: { name: string; description: string } }[];
}

describe("the sql tool on a PostgreSQL source with allow_sql, through the real openai client", () => {
  const withSql = uniqueName("sqlshop").replace(/-/g, "_");
  const withoutSql = uniqueName("plainshop").replace(/-/g, "_");
  const prefix = `${uniqueName("test-chat-sql")}:`;
  let double: OpenAiDouble;
  let database: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  const sent = (index: number) => double.requests[index]?.body as SentBody;
  const productCount = async () =>
    Number((await database.admin.query(`SELECT count(*) FROM ${database.schema}.products`)).rows[0]?.count);

  beforeAll(async () => {
    double = await startOpenAiDouble();
    database = await createPostgresFixture(`
      CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(10, 2));
      INSERT INTO products VALUES (1, 'Orbit Standing Desk Max', 612.00), (2, 'Solace Standing Desk Mini', 313.99),
        (3, 'Aurora Desk Lamp', 34.50);
      CREATE TABLE secrets (id int PRIMARY KEY, token text);
      INSERT INTO secrets VALUES (1, 'do-not-read');`);
    const source = {
      kind: "postgresql",
      url: testServices.postgresUrl,
      schema: database.schema,
      query_tables: ["products"],
    };
    context = createTestContext({
      REDIS_KEY_PREFIX: prefix,
      OPENAI_BASE_URL: double.baseUrl,
      LLM_PROVIDER: "openai",
      LLM_TIMEOUT_MS: "5000",
      SOURCES: JSON.stringify([
        { ...source, name: withSql, allow_sql: true },
        { ...source, name: withoutSql },
      ]),
    });
  });
  beforeEach(() => double.script());
  afterAll(async () => {
    await dropRedisPrefix(context, prefix);
    await context?.close();
    await database?.drop();
    await double?.close();
  });

  it("runs one checked SELECT and refuses DROP, pg_read_file, a second statement and another table without running them", async () => {
    const before = await productCount();
    const cheapest = "SELECT name, price FROM products WHERE name ILIKE '%standing desk%' ORDER BY price LIMIT 1";
    double.script({
      turns: [
        {
          calls: [
            { name: "sql", arguments: { source: withSql, sql: cheapest } },
            { name: "sql", arguments: { source: withSql, sql: "DROP TABLE products" } },
            { name: "sql", arguments: { source: withSql, sql: "SELECT pg_read_file('/etc/passwd')" } },
            { name: "sql", arguments: { source: withSql, sql: "SELECT name FROM products; DELETE FROM products" } },
            { name: "sql", arguments: { source: withSql, sql: "SELECT token FROM secrets" } },
          ],
        },
        { text: "The Solace Standing Desk Mini costs 313.99 [Q1]." },
      ],
    });
    const { status, body, text } = await chatClient(() => context, withSql).chat({
      message: "What does the cheapest standing desk cost?",
    });
    expect(status, text).toBe(200);

    const sql = sent(0).tools?.find((tool) => tool.function.name === "sql")?.function;
    expect(sql?.description).toContain(
      `source "${withSql}", table "products": id (number), name (text), price (number)`,
    );
    expect(sql?.description).not.toContain("secrets");

    expect(body.queries).toEqual([
      expect.objectContaining({
        label: "Q1",
        // What ran: the statement with its table in the source's schema.
        spec: { source: withSql, sql: cheapest.replace("FROM products", `FROM "${database.schema}".products`) },
        rows: [{ name: "Solace Standing Desk Mini", price: "313.99" }],
        execution: "postgresql_sql",
      }),
    ]);
    const refusals = body.tool_calls.slice(1).map((call: { error: { message: string } }) => call.error.message);
    expect(refusals).toEqual([
      "only SELECT is allowed, not DropStmt",
      "function 'pg_read_file' is not allowed",
      "send exactly one statement (this has 2)",
      "table 'secrets' is not allowed; allowed: 'products'",
    ]);
    // The refusals are the parser's and allow-lists' words, not PostgreSQL's: nothing reached the database.
    expect(await productCount()).toBe(before);
    const results = sent(1).messages.filter((message) => message.role === "tool");
    expect(results.map((message) => JSON.parse(message.content ?? "").error?.message ?? "ran")).toEqual([
      "ran",
      ...refusals,
    ]);
    expect(body.response).toBe("The Solace Standing Desk Mini costs 313.99 [Q1].");
  });

  it("gives back PostgreSQL's own objection to a statement that passes the checks, for the model to fix", async () => {
    double.script({
      turns: [
        { calls: [{ name: "sql", arguments: { source: withSql, sql: "SELECT name, max(price) FROM products" } }] },
        { text: "Sorry." },
      ],
    });
    const { body } = await chatClient(() => context, withSql).chat({ message: "most expensive?" });
    expect(body.tool_calls[0].error.message).toMatch(/^PostgreSQL refused the SQL: .*GROUP BY/);
  });

  it("offers no sql tool on a source without allow_sql, and refuses a call to it", async () => {
    double.script({
      turns: [
        { calls: [{ name: "sql", arguments: { source: withoutSql, sql: "SELECT name FROM products" } }] },
        { text: "No." },
      ],
    });
    const { body } = await chatClient(() => context, withoutSql).chat({ message: "cheapest?" });
    expect(sent(0).tools?.map((tool) => tool.function.name)).toEqual(["search", "query"]);
    expect(body.tool_calls[0].error).toMatchObject({ code: "unknown_tool" });
    expect(body.queries).toEqual([]);
  });
});
