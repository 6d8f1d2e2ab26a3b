import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve } from "@hono/node-server";
import { generateApiKey } from "../../core/auth/index.js";
import type { AppContext } from "../../core/context/index.js";
import { ingestTable } from "../../core/ingest/index.js";
import { createTestContext } from "./app-context.js";
import { createTestLocalApp } from "./function-apps.js";
import { testServices, uniqueName } from "./services.js";
import { releaseRun } from "./test-run.js";

/** The small CSV the MCP and OpenAI tests ask about: one row each, so answers are predictable. */
export const productsCsv = `id,name,description,price
1,Trailblazer Backpack,A waterproof hiking backpack with a 30 litre capacity.,89.99
2,Aurora Desk Lamp,An LED desk lamp with three brightness levels.,34.50
3,Summit Tent,A two-person tent for alpine camping that weighs 2.1 kg.,249.00
`;

export const notesCsv = `id,note
1,The warehouse in Leeds closes early on Fridays.
2,Returns are accepted within thirty days with a receipt.
`;

export interface ServedFixture {
  context: AppContext;
  source: string;
  baseUrl: string;
  dataDir: string;
  keys: { chat: string; admin: string; limited: string };
  /** What a child process needs to reach the same services, data and keys. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A CSV source under a unique name, ingested through the real embedder into Chroma, and every
 * HTTP function served on a real port with API keys: a chat key bound to users `mcp-*`, an
 * admin key, and a chat key limited to three requests a minute.
 */
export async function serveFixture(label: string, overrides: Record<string, string> = {}): Promise<ServedFixture> {
  const source = uniqueName(label).replace(/-/g, "_");
  const prefix = `${source}:`;
  const dataDir = await mkdtemp(path.join(tmpdir(), `cwd-${label}-`));
  await writeFile(path.join(dataDir, "products.csv"), productsCsv);
  await writeFile(path.join(dataDir, "notes.csv"), notesCsv);
  const chat = generateApiKey();
  const admin = generateApiKey();
  const limited = generateApiKey();
  const env: Record<string, string> = {
    REDIS_KEY_PREFIX: prefix,
    KAFKA_TOPIC_PREFIX: `${source}.`,
    LLM_PROVIDER: "extractive",
    DATA_DIR: dataDir,
    SOURCES: JSON.stringify([{ name: source, kind: "csv", path: "." }]),
    API_KEYS: JSON.stringify([
      { name: "chat", sha256: chat.sha256, scopes: ["chat"], users: ["mcp-*"] },
      { name: "admin", sha256: admin.sha256, scopes: ["admin"], users: ["*"] },
      { name: "limited", sha256: limited.sha256, scopes: ["chat"], rate_limit_per_minute: 3 },
    ]),
    ...overrides,
  };
  const context = createTestContext(env);
  if (!context.vectors) throw new Error("tests run with Chroma");
  await ingestTable(
    { ...context, vectors: context.vectors },
    { source, table: "products.csv", textFields: ["name", "description", "price"] },
  );
  const server = serve({ fetch: createTestLocalApp(context).fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    context,
    source,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    keys: { chat: chat.key, admin: admin.key, limited: limited.key },
    env: {
      ...env,
      CHROMA_URL: testServices.chromaUrl,
      REDIS_URL: testServices.redisUrl,
      KAFKA_BROKERS: testServices.kafkaBrokers,
      LOG_LEVEL: "warn",
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await releaseRun(context, { sources: [source], redisPrefix: prefix });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
