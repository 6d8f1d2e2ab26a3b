import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readHistory } from "../../../core/chat/index.js";
import { readJson } from "../../support/http.js";
import { type ServedFixture, serveFixture } from "../../support/mcp-fixture.js";
import { pinClockInsideMinute } from "../../support/rate-window.js";

const readTools = ["ask", "describe_table", "get_row", "list_sources", "search"];
const adminTools = ["delete_table", "ingest_table"];

describe("MCP over Streamable HTTP at /mcp, with the SDK's own client, on the real services", {
  timeout: 60_000,
}, () => {
  let fixture: ServedFixture;
  const clients: Client[] = [];

  const connect = async (key: string | undefined) => {
    const client = new Client({ name: "mcp-http-test", version: "1.0.0" });
    const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${fixture.baseUrl}/mcp`), { requestInit: { headers } }),
    );
    clients.push(client);
    return client;
  };
  const call = async (client: Client, name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;

  let chat: Client;
  let admin: Client;

  beforeAll(async () => {
    fixture = await serveFixture("mcphttp");
    chat = await connect(fixture.keys.chat);
    admin = await connect(fixture.keys.admin);
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await fixture?.close();
  });

  it("lists the read tools for a chat key, each read-only with an input schema, and no destructive tool", async () => {
    const { tools } = await chat.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(readTools);
    for (const tool of tools) {
      expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.description?.length).toBeGreaterThan(40);
    }
    const search = tools.find((tool) => tool.name === "search");
    expect(search?.inputSchema.properties?.mode).toMatchObject({ enum: ["hybrid", "vector", "keyword"] });
    expect(search?.inputSchema.required).toEqual(["query"]);
  });

  it("lists ingest_table and delete_table, marked destructive, only for an admin key", async () => {
    const { tools } = await admin.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([...adminTools, ...readTools].sort());
    for (const name of adminTools) {
      expect(tools.find((tool) => tool.name === name)?.annotations).toMatchObject({
        destructiveHint: true,
        readOnlyHint: false,
      });
    }
  });

  it("lists the sources and their tables as resources, and reads a table's columns and indexed count", async () => {
    const { resources } = await chat.listResources();
    const uris = resources.map((resource) => resource.uri);
    const sourceUri = `chat-data://sources/${fixture.source}`;
    expect(uris).toEqual(
      expect.arrayContaining(["chat-data://sources", sourceUri, `${sourceUri}/tables/products.csv`]),
    );
    const { resourceTemplates } = await chat.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual([
      "chat-data://sources/{source}",
      "chat-data://sources/{source}/tables/{table}",
    ]);
    const read = await chat.readResource({ uri: `${sourceUri}/tables/products.csv` });
    const content = read.contents[0];
    const table = JSON.parse(content && "text" in content ? content.text : "null");
    expect(table).toMatchObject({ source: fixture.source, table: "products.csv", indexed_vectors: 3 });
    expect(table.columns.map((column: { name: string }) => column.name)).toEqual([
      "id",
      "name",
      "description",
      "price",
    ]);
    await expect(chat.readResource({ uri: `${sourceUri}/tables/nowhere.csv` })).rejects.toThrow(/not_found/);
  });

  it("search: rows with source, table, row key, text and score, as text and structured content", async () => {
    const result = await call(chat, "search", {
      query: "waterproof backpack for hiking",
      mode: "vector",
      max_results: 2,
      filters: { source: fixture.source },
    });
    expect(result.isError).toBeFalsy();
    const rows = (result.structuredContent as { results: Record<string, unknown>[] }).results;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      id: `${fixture.source}:products.csv:1`,
      source: fixture.source,
      table: "products.csv",
      row_key: "1",
      text: expect.stringContaining("Trailblazer Backpack"),
      relevance_score: expect.any(Number),
    });
    expect(result.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("Trailblazer Backpack") });

    // Hybrid (the default with the keyword index): each row says which side matched it.
    const hybrid = await call(chat, "search", { query: "Trailblazer", filters: { source: fixture.source } });
    const structured = hybrid.structuredContent as { mode: string; results: Record<string, unknown>[] };
    expect(structured.mode).toBe("hybrid");
    expect(structured.results[0]).toMatchObject({ row_key: "1", matched_by: expect.arrayContaining(["keyword"]) });
  });

  it("ask: a cited answer whose every [n] names a returned source", async () => {
    const result = await call(chat, "ask", {
      question: "How much does the waterproof backpack cost?",
      filters: { source: fixture.source },
    });
    expect(result.isError).toBeFalsy();
    const { answer, sources } = result.structuredContent as {
      answer: string;
      sources: { n: number; source: string; table: string; row_key: string }[];
    };
    expect(answer).toContain("89.99");
    const cited = [...answer.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
    expect(cited.length).toBeGreaterThan(0);
    for (const n of cited) expect(sources.map((source) => source.n)).toContain(n);
    expect(sources[0]).toMatchObject({ n: 1, source: fixture.source, table: "products.csv", row_key: "1" });
    expect((result.content[0] as { text: string }).text).toContain(`[1] ${fixture.source}/products.csv key 1`);
  });

  it("ask with a user_name the key may act for extends that user's history; another user is refused", async () => {
    const asked = await call(chat, "ask", {
      question: "Which tent is light?",
      filters: { source: fixture.source },
      user_name: "mcp-grace",
    });
    expect(asked.isError).toBeFalsy();
    const history = await readHistory(fixture.context, "mcp-grace", { limit: 10 });
    expect(history.messages.map((message) => message.role)).toEqual(["user", "assistant"]);

    const refused = await call(chat, "ask", { question: "Which tent is light?", user_name: "someone-else" });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toEqual({
      error: { code: "forbidden", message: "API key 'chat' may not act for user 'someone-else'" },
    });
  });

  it("list_sources, describe_table and get_row describe what is stored", async () => {
    const listed = await call(chat, "list_sources", {});
    expect((listed.structuredContent as { sources: unknown[] }).sources).toEqual([
      { name: fixture.source, kind: "csv", indexed_vectors: 3 },
    ]);

    const described = await call(chat, "describe_table", { source: fixture.source, table: "products.csv" });
    expect(described.structuredContent).toMatchObject({
      source: fixture.source,
      kind: "csv",
      table: "products.csv",
      primary_key: ["id"],
      indexed_vectors: 3,
    });
    const tables = await call(chat, "describe_table", { source: fixture.source });
    expect(
      (tables.structuredContent as { tables: { name: string }[] }).tables.map((table) => table.name).sort(),
    ).toEqual(["notes.csv", "products.csv"]);

    const id = `${fixture.source}:products.csv:3`;
    const row = await call(chat, "get_row", { id });
    expect(row.structuredContent).toMatchObject({
      id,
      table: "products.csv",
      row_key: "3",
      text: expect.stringContaining("Summit Tent"),
      chunks: 1,
    });
    const missing = await call(chat, "get_row", { id: `${fixture.source}:products.csv:404` });
    expect(missing).toMatchObject({ isError: true, structuredContent: { error: { code: "not_found" } } });
  });

  it("answers malformed arguments as tool errors in the HTTP envelope's words, without a stack trace", async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["search", { query: "" }, /^Invalid request: query: /],
      ["search", { query: "x", mode: "telepathy" }, /^Invalid request: mode: /],
      ["ask", { question: "x", max_results: 500 }, /^Invalid request: max_results: /],
      ["get_row", {}, /^Invalid request: id: /],
      ["describe_table", { source: "no such source!" }, /^Invalid request: source: /],
    ];
    for (const [name, args, message] of cases) {
      const result = await call(chat, name, args);
      expect(result.isError, name).toBe(true);
      const { error } = result.structuredContent as { error: { code: string; message: string } };
      expect(error.code, name).toBe("validation_error");
      expect(error.message, name).toMatch(message);
      expect(JSON.stringify(result)).not.toMatch(/\n\s+at |node_modules/);
    }
    // The same failure over HTTP: the tool error carries the envelope's code and message.
    const unknownSource = await call(chat, "describe_table", { source: "nowhere", table: "x" });
    const http = await fetch(`${fixture.baseUrl}/schema`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fixture.keys.admin}` },
      body: JSON.stringify({ source: "nowhere", table_or_collection: "x" }),
    });
    expect(http.status).toBe(404);
    const { code, message } = (await readJson(http)).error;
    expect(unknownSource.structuredContent).toEqual({ error: { code, message } });
  });

  it("refuses a destructive tool to a chat key as forbidden, and runs it for an admin key", async () => {
    const refused = await call(chat, "ingest_table", {
      source: fixture.source,
      table: "notes.csv",
      text_fields: ["note"],
    });
    expect(refused).toMatchObject({
      isError: true,
      structuredContent: { error: { code: "forbidden", message: "API key 'chat' lacks the 'admin' scope" } },
    });

    const ingested = await call(admin, "ingest_table", {
      source: fixture.source,
      table: "notes.csv",
      text_fields: ["note"],
    });
    expect(ingested.structuredContent).toMatchObject({ source: fixture.source, table: "notes.csv", documents: 2 });
    const found = await call(chat, "search", {
      query: "when does the Leeds warehouse close",
      filters: { source: fixture.source, table: "notes.csv" },
    });
    expect((found.structuredContent as { results: unknown[] }).results).toHaveLength(2);

    const deleted = await call(admin, "delete_table", { source: fixture.source, table: "notes.csv" });
    expect(deleted.structuredContent).toEqual({ source: fixture.source, table: "notes.csv", deleted_vectors: 2 });
    const gone = await call(chat, "search", {
      query: "when does the Leeds warehouse close",
      filters: { source: fixture.source, table: "notes.csv" },
    });
    expect((gone.structuredContent as { results: unknown[] }).results).toEqual([]);
  });

  it("refuses a missing or unknown key with 401 before any MCP exchange", async () => {
    for (const key of [undefined, "cwd_not-a-key"]) {
      const response = await fetch(`${fixture.baseUrl}/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await readJson(response)).error.code).toBe("unauthorized");
      await expect(connect(key)).rejects.toThrow(/401|nauthorized/);
    }
  });

  it("counts each MCP request against the key's rate limit, as HTTP does", async () => {
    // initialize and notifications/initialized are two requests; the limit is three a minute.
    const restore = pinClockInsideMinute();
    try {
      const client = await connect(fixture.keys.limited);
      await client.listTools();
      await expect(client.listTools()).rejects.toThrow(/429|rate limit/);
    } finally {
      restore();
    }
  });

  it("answers raw JSON-RPC without the SDK's Accept header, and a broken message in the error envelope", async () => {
    const post = (body: string) =>
      fetch(`${fixture.baseUrl}/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${fixture.keys.chat}` },
        body,
      });
    const listed = await post(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }));
    expect(listed.status).toBe(200);
    const body = await readJson(listed);
    expect(body).toMatchObject({ jsonrpc: "2.0", id: 7 });
    expect(body.result.tools.map((tool: { name: string }) => tool.name).sort()).toEqual(readTools);

    const broken = await post(JSON.stringify({ jsonrpc: "1.0", method: "tools/list" }));
    expect(broken.status).toBe(400);
    expect((await readJson(broken)).error).toMatchObject({ code: "validation_error" });
  });
});
