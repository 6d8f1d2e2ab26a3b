import { createServer } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { maxQueryableTables } from "../../../core/chat/index.js";
import type { AppContext } from "../../../core/context/index.js";
import { seedProducts } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";
import { chatClient } from "./chat-tools-fixture.js";

// docs/tools.md, "Which tables": at most 20 tables are described (`maxQueryableTables`); a table whose
// source is down is left out with a warning.

const apiKey = "sk-test-down-source-6060";

interface SentBody {
  tools?: { function: { name: string; description: string; parameters: Record<string, unknown> } }[];
}

/** A loopback port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const tableNames = Array.from(
  { length: maxQueryableTables + 3 },
  (_, index) => `t${String(index + 1).padStart(2, "0")}`,
);

describe("the tables described to the model: a source that is down is left out with a warning; at most 20", () => {
  let double: Awaited<ReturnType<typeof startOpenAiDouble>>;
  let context: AppContext;
  let postgres: Awaited<ReturnType<typeof createPostgresFixture>>;
  let port: number;
  const healthy = uniqueName("downhealthy").replace(/-/g, "_");
  const down = uniqueName("downpg").replace(/-/g, "_");
  const many = uniqueName("downmany").replace(/-/g, "_");
  const prefix = `${uniqueName("test-downsource")}:`;

  beforeAll(async () => {
    double = await startOpenAiDouble({ apiKey });
    port = await closedPort();
    postgres = await createPostgresFixture(
      tableNames.map((name) => `CREATE TABLE ${name} (id integer PRIMARY KEY, label text);`).join("\n"),
    );
    context = createTestContext({
      REDIS_KEY_PREFIX: prefix,
      LLM_TIMEOUT_MS: "5000",
      OPENAI_BASE_URL: double.baseUrl,
      OPENAI_API_KEY: apiKey,
      LLM_PROVIDER: "openai",
      SOURCES: JSON.stringify([
        { name: healthy, kind: "csv", path: "samples", query_tables: ["products.csv"] },
        {
          name: down,
          kind: "postgresql",
          url: `postgresql://chat:chat@127.0.0.1:${port}/chat_test`,
          query_tables: ["items", "orders"],
        },
        {
          name: many,
          kind: "postgresql",
          url: testServices.postgresUrl,
          schema: postgres.schema,
          query_tables: tableNames,
        },
      ]),
    });
    await seedProducts(context, healthy);
  });
  beforeEach(() => double.script());
  afterAll(async () => {
    await releaseRun(context, { sources: [healthy], redisPrefix: prefix });
    await postgres?.drop();
    await double?.close();
  });

  const client = () => chatClient(() => context, healthy);
  const queryTool = () =>
    (double.requests[0]?.body as SentBody | undefined)?.tools?.find((tool) => tool.function.name === "query")?.function;
  const describedTables = (description: string) =>
    [...description.matchAll(/^- source "([^"]+)", table "([^"]+)": /gm)].map((match) => `${match[1]}/${match[2]}`);

  it("leaves the down source's tables out of the query tool, says so in the answer's warnings, and keeps the healthy one's", async () => {
    double.script({ text: "The Summit Tent weighs 2.1 kg [1]." });
    const { status, body, text } = await client().chat({
      message: "What does the Summit Tent weigh?",
      filters: { source: { $in: [healthy, down] } },
    });
    expect(status, text).toBe(200);
    expect(body.response).toBe("The Summit Tent weighs 2.1 kg [1].");
    expect([...body.warnings].sort()).toEqual([
      `table 'items' of source '${down}' could not be described now: it is not offered to query`,
      `table 'orders' of source '${down}' could not be described now: it is not offered to query`,
    ]);
    expect(text).not.toContain(`127.0.0.1:${port}`);

    const query = queryTool();
    expect(describedTables(query?.description ?? "")).toEqual([`${healthy}/products.csv`]);
    expect(query?.description).toMatch(/price \(number\)/);
    expect(query?.parameters).toMatchObject({
      properties: { source: { enum: [healthy] }, table: { enum: ["products.csv"] } },
    });
    // The search tool may still name the source (it is in the chat's filter); the query tool never does.
    expect(JSON.stringify(query)).not.toContain(down);
    expect(JSON.stringify(double.requests[0]?.body)).not.toContain(`127.0.0.1:${port}`);
  });

  it("gives the same warnings on the stream's done event", async () => {
    double.script({ turns: [{ text: "The Summit Tent weighs 2.1 kg [1]." }] });
    const events = await client().stream({
      message: "What does the Summit Tent weigh?",
      filters: { source: { $in: [healthy, down] } },
    });
    const done = events.find((event) => event.event === "done");
    expect([...(done?.data.warnings ?? [])].sort()).toEqual([
      `table 'items' of source '${down}' could not be described now: it is not offered to query`,
      `table 'orders' of source '${down}' could not be described now: it is not offered to query`,
    ]);
    expect(describedTables(queryTool()?.description ?? "")).toEqual([`${healthy}/products.csv`]);
  });

  it(`describes at most ${maxQueryableTables} tables, the first ones listed, and names the rest in a warning`, async () => {
    expect(maxQueryableTables).toBe(20);
    double.script({ text: "Nothing in the data says so." });
    const { status, body, text } = await client().chat({
      message: "Which labels are there?",
      filters: { source: many },
    });
    expect(status, text).toBe(200);
    const rest = tableNames.slice(20);
    expect(rest.length).toBeGreaterThan(0);
    expect(body.warnings).toEqual([
      `${rest.length} more table(s) not offered to query (at most 20; narrow the chat's source or table filter to reach them): ${rest.map((table) => `${many}.${table}`).join(", ")}`,
    ]);
    const query = queryTool();
    const first20 = tableNames.slice(0, 20);
    expect(describedTables(query?.description ?? "")).toEqual(first20.map((table) => `${many}/${table}`));
    expect(query?.parameters).toMatchObject({ properties: { source: { enum: [many] }, table: { enum: first20 } } });
  });
});
