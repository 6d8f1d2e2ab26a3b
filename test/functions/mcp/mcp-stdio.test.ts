import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedFixture, serveFixture } from "../../support/mcp-fixture.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");

describe("MCP over stdio (npm run --silent mcp) and the MCP Inspector's CLI", { timeout: 120_000 }, () => {
  let fixture: ServedFixture;
  const clients: Client[] = [];

  /** Spawns the server as a desktop client would: the command from docs/mcp.md, our settings in its environment. */
  const spawnClient = async (env: Record<string, string>) => {
    const client = new Client({ name: "mcp-stdio-test", version: "1.0.0" });
    const transport = new StdioClientTransport({
      command: "npm",
      args: ["run", "--silent", "mcp"],
      cwd: root,
      env: { ...(process.env as Record<string, string>), ...fixture.env, ...env },
      stderr: "pipe",
    });
    const stderr: string[] = [];
    transport.stderr?.on("data", (chunk) => stderr.push(String(chunk)));
    await client.connect(transport);
    clients.push(client);
    return { client, stderr };
  };

  beforeAll(async () => {
    fixture = await serveFixture("mcpstdio");
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await fixture?.close();
  });

  it("acts with MCP_API_KEY's scopes: the read tools and resources for a chat key, and a cited answer", async () => {
    const { client } = await spawnClient({ MCP_API_KEY: fixture.keys.chat });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "ask",
      "describe_table",
      "get_row",
      "list_sources",
      "search",
    ]);
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toContain(
      `chat-data://sources/${fixture.source}/tables/products.csv`,
    );

    const result = (await client.callTool({
      name: "ask",
      arguments: { question: "What does the Summit Tent weigh?", filters: { source: fixture.source } },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const { answer, sources } = result.structuredContent as {
      answer: string;
      sources: { n: number; row_key: string }[];
    };
    expect(answer).toContain("2.1 kg");
    expect(answer).toMatch(/\[1\]/);
    expect(sources[0]).toMatchObject({ n: 1, row_key: "3" });

    const malformed = (await client.callTool({ name: "search", arguments: { query: 42 } })) as CallToolResult;
    expect(malformed).toMatchObject({ isError: true, structuredContent: { error: { code: "validation_error" } } });
  });

  it("offers the destructive tools to an admin key only, and refuses to start with a key that is not configured", async () => {
    const { client } = await spawnClient({ MCP_API_KEY: fixture.keys.admin });
    const { tools } = await client.listTools();
    expect(
      tools
        .filter((tool) => tool.annotations?.destructiveHint)
        .map((tool) => tool.name)
        .sort(),
    ).toEqual(["delete_table", "ingest_table"]);

    const refused = await run("npm", ["run", "--silent", "mcp"], {
      cwd: root,
      env: { ...process.env, ...fixture.env, MCP_API_KEY: "cwd_not-a-key" },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("MCP_API_KEY: not one of the configured API keys"),
    });
  });

  it("counts each tool call and resource read against MCP_API_KEY's limit, refusing the one past it as rate_limited", async () => {
    // The fixture's `limited` key allows three a minute; listing tools is not counted.
    const { client } = await spawnClient({ MCP_API_KEY: fixture.keys.limited });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain("get_row");

    // The limit is a fixed one-minute window: start the counted calls early enough in one to finish in it.
    const window = () => Math.floor(Date.now() / 60_000);
    const untilNextWindow = 60_000 - (Date.now() % 60_000);
    if (untilNextWindow < 10_000) await new Promise((resolve) => setTimeout(resolve, untilNextWindow + 50));
    const started = window();

    const listed = (await client.callTool({ name: "list_sources", arguments: {} })) as CallToolResult;
    expect(listed.isError).toBeFalsy();
    expect(listed.structuredContent).toEqual({ sources: [{ name: fixture.source, kind: "csv", indexed_vectors: 3 }] });
    const read = await client.readResource({ uri: `chat-data://sources/${fixture.source}/tables/products.csv` });
    expect(read.contents).toHaveLength(1);
    const row = (await client.callTool({
      name: "get_row",
      arguments: { id: `${fixture.source}:products.csv:1` },
    })) as CallToolResult;
    expect(row.structuredContent).toMatchObject({
      row_key: "1",
      text: expect.stringContaining("Trailblazer Backpack"),
    });

    const refused = (await client.callTool({ name: "list_sources", arguments: {} })) as CallToolResult;
    const message = expect.stringMatching(/^rate limit of 3 requests per minute reached; retry in \d+ s$/);
    expect(refused).toEqual({
      content: [{ type: "text", text: expect.stringMatching(/^rate_limited: rate limit of 3 requests per minute/) }],
      structuredContent: { error: { code: "rate_limited", message } },
      isError: true,
    });
    await expect(
      client.readResource({ uri: `chat-data://sources/${fixture.source}/tables/products.csv` }),
    ).rejects.toThrow(/rate_limited: rate limit of 3 requests per minute reached/);
    expect(window(), "the calls crossed into the next minute's window").toBe(started);
  });

  it("the Inspector's CLI, an independent client, lists the tools over Streamable HTTP", async () => {
    const cli = path.join(root, "node_modules/@modelcontextprotocol/inspector-cli/build/cli.js");
    const { stdout } = await run(
      "node",
      [
        cli,
        "--cli",
        `${fixture.baseUrl}/mcp`,
        "--transport",
        "http",
        "--method",
        "tools/list",
        "--header",
        `Authorization: Bearer ${fixture.keys.chat}`,
      ],
      // Its index.js picks `../package.json` by testing the path against the working directory but
      // imports it relative to itself: run it from its own build folder so the two agree.
      { cwd: path.dirname(cli), timeout: 60_000 },
    );
    const listed = JSON.parse(stdout) as { tools: { name: string }[] };
    expect(listed.tools.map((tool) => tool.name).sort()).toEqual([
      "ask",
      "describe_table",
      "get_row",
      "list_sources",
      "search",
    ]);
  });
});
