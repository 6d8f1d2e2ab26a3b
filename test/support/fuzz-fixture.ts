import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import type { MongoClient } from "mongodb";
import { expect } from "vitest";
import { generateApiKey } from "../../core/auth/index.js";
import type { AppContext } from "../../core/context/index.js";
import { allTopics, ensureTopics } from "../../core/messaging/index.js";
import { createLocalApp } from "../../functions/local/server.js";
import { dropRedisPrefix } from "../core/chat/chat-fixture.js";
import { createTestContext } from "./app-context.js";
import { createTestLocalApp } from "./function-apps.js";
import { readJson } from "./http.js";
import type { GeneratedRequest, Hints } from "./openapi-arbitraries.js";
import type { OpenApiDocument } from "./openapi-schema.js";
import { createPostgresFixture } from "./postgres-fixture.js";
import { dropMongoDatabase, scratchMongoDatabase } from "./scratch-mongo.js";
import { testServices, uniqueName } from "./services.js";

export interface FuzzFixture {
  context: AppContext;
  /** Every registered function over the test context, routed like the local server. */
  app: Hono;
  /** The merged OpenAPI document the local server publishes. */
  document: OpenApiDocument;
  sources: { postgres: string; mongo: string; csv: string; jsonl: string };
  /** Coherent hints, one set per source: a source with its own table and fields. */
  scenarios: Hints[];
  /** Components the fixture keeps out of reach: a 503 naming one of them is the expected answer. */
  unreachable: readonly string[];
  /** Secret text in files outside DATA_DIR (one reached by a symlink inside it): never in a response. */
  canary: string;
  root: string;
  dataDir: string;
  postgres: Awaited<ReturnType<typeof createPostgresFixture>>;
  mongo: { client: MongoClient; database: string; collection: string };
  close(): Promise<void>;
}

const pgRows = [
  [1, "Trailblazer Backpack", "A waterproof hiking backpack with a 30 litre capacity.", 89.99],
  [2, "Aurora Desk Lamp", "An LED desk lamp with three brightness levels.", 34.5],
  [3, "Summit Tent", "A two-person tent for alpine camping that weighs 2.1 kg.", 249],
] as const;

/**
 * Private sources on the real services for fuzzing: a PostgreSQL table, a FerretDB collection in
 * its own database, and the CSV/JSONL samples (their first rows, so a valid ingestion costs a
 * second) copied into a temporary DATA_DIR, next to canary files that lie outside it.
 */
export async function createFuzzFixture(
  label: string,
  /** API keys configured and a rate limit on, so the auth middleware and the limiter are fuzzed too. */
  options: { withApiKeys?: boolean } = {},
): Promise<FuzzFixture> {
  const run = uniqueName(label).replace(/-/g, "_");
  const sources = { postgres: `pg_${run}`, mongo: `mg_${run}`, csv: `csv_${run}`, jsonl: `jl_${run}` };
  const canary = `canary-${randomUUID()}`;

  const root = await mkdtemp(path.join(tmpdir(), "cwd-fuzz-"));
  const dataDir = path.join(root, "data");
  await mkdir(path.join(dataDir, "samples"), { recursive: true });
  const samples = path.resolve(import.meta.dirname, "../../data/samples");
  const head = async (file: string, lines: number) =>
    (await readFile(path.join(samples, file), "utf8")).split("\n").slice(0, lines).join("\n");
  await writeFile(path.join(dataDir, "samples", "products.csv"), `${await head("products.csv", 21)}\n`);
  await writeFile(path.join(dataDir, "samples", "articles.jsonl"), `${await head("articles.jsonl", 10)}\n`);
  await writeFile(path.join(root, "secret.csv"), `id,${canary}\n1,${canary}\n`);
  await writeFile(path.join(root, "secret.jsonl"), `${JSON.stringify({ id: 1, [canary]: canary })}\n`);
  await symlink(path.join(root, "secret.csv"), path.join(dataDir, "samples", "link.csv"));
  await symlink(root, path.join(dataDir, "escape"));

  const postgres = await createPostgresFixture(
    `CREATE TABLE items (id int PRIMARY KEY, name text, description text, price numeric,
                         updated_at timestamptz NOT NULL DEFAULT now());`,
  );
  for (const row of pgRows) {
    await postgres.admin.query(
      `INSERT INTO ${postgres.schema}.items (id, name, description, price) VALUES ($1, $2, $3, $4)`,
      [...row],
    );
  }
  const { client, database: mongoDatabase } = await scratchMongoDatabase(run);
  await client
    .db(mongoDatabase)
    .collection("reviews")
    .insertMany([
      {
        product: "Kestrel Headlamp",
        review: "Bright enough for night hikes; the battery lasts all weekend.",
        stars: 5,
      },
      { product: "Orbit Blender", review: "Loud, and the jar cracked after a month of smoothies.", stars: 2 },
      { product: "Summit Tent", review: "Stayed dry through a night of alpine rain.", stars: 4 },
    ]);

  const prefix = `${run}:`;
  const key = options.withApiKeys ? generateApiKey() : undefined;
  const access: Record<string, string> = key
    ? {
        API_KEYS: JSON.stringify([{ name: "fuzz", sha256: key.sha256, scopes: ["admin"], users: ["*"] }]),
        // On, and counting in Redis for every request, but far above what a run sends.
        RATE_LIMIT_PER_MINUTE: "1000000",
      }
    : // Fuzzing sends hundreds of requests a minute from one client; the limiter is not under test here.
      { RATE_LIMIT_PER_MINUTE: "0" };
  const context = createTestContext({
    ...access,
    REDIS_KEY_PREFIX: prefix,
    KAFKA_TOPIC_PREFIX: `${run}.`,
    LLM_PROVIDER: "extractive",
    DATA_DIR: dataDir,
    // Out of reach on purpose: each fuzzed POST /sources/{name}/cdc would otherwise start a Debezium
    // connector and a replication slot on the shared services. Those requests stop at its client.
    KAFKA_CONNECT_URL: "http://127.0.0.1:9",
    SOURCES: JSON.stringify([
      { name: sources.postgres, kind: "postgresql", url: testServices.postgresUrl, schema: postgres.schema },
      { name: sources.mongo, kind: "mongodb", url: testServices.mongoUrl, database: mongoDatabase },
      { name: sources.csv, kind: "csv", path: "samples" },
      { name: sources.jsonl, kind: "jsonl", path: "samples" },
    ]),
  });
  if (context.kafka) await ensureTopics(context.kafka, 1, `${run}.`);
  await context.embedder.warmUp();
  const routed = createTestLocalApp(context);
  const app = key ? presentingKey(routed, key.key) : routed;
  const document = (await (await createLocalApp().request("/openapi.json")).json()) as OpenApiDocument;

  const common = {
    user_name: ["fuzz-user", "ada.lovelace@example.org"],
    provider: ["extractive"],
    file_path: ["samples/products.csv", "samples/articles.jsonl"],
    query: ["a waterproof backpack", "how bright is the desk lamp"],
    message: ["Which backpack is waterproof?", "What does the tent weigh?"],
    // An OpenAI conversation: history, then the user's question last.
    messages: [
      [{ role: "user", content: "Which backpack is waterproof?" }],
      [
        { role: "user", content: "Tell me about the tent." },
        { role: "assistant", content: "The Summit Tent is a two-person tent [1]." },
        { role: "user", content: "What does it weigh?" },
      ],
    ],
  };
  const scenario = (source: string, kind: string, table: string, text: string[], columns: string[]): Hints => ({
    ...common,
    source: [source],
    // Path parameters naming a source are called `name` on some routes (/sources/{name}/cdc).
    name: [source],
    db_type: [kind],
    // The OpenAI-compatible routes' models: this source first (data:all asks every collection on the shared Chroma), or every one.
    model: [`data:${source}`, "data:all"],
    table: [table],
    table_or_collection: [table],
    text_fields: [text, text.slice(0, 1)],
    columns_or_fields: [columns, columns.slice(0, 1)],
    column: columns,
    watermark_column: columns.slice(-1),
    // Both shapes named `filters`: row filters (ingest, sync) and metadata filters (search, chat); each schema keeps its own.
    filters: [
      [{ column: columns[1], op: "eq", value: "Summit Tent" }],
      [{ column: columns[0], op: "not_null" }],
      { source },
      { source, table },
    ],
  });
  const scenarios = [
    scenario(sources.postgres, "postgresql", "items", ["name", "description"], ["id", "name", "price", "updated_at"]),
    scenario(sources.mongo, "mongodb", "reviews", ["review", "product"], ["_id", "product", "stars"]),
    scenario(sources.csv, "csv", "products.csv", ["name", "description"], ["id", "name", "category", "price"]),
    scenario(sources.jsonl, "jsonl", "articles.jsonl", ["title", "body"], ["id", "section", "views"]),
  ];

  return {
    context,
    app,
    document,
    sources,
    scenarios,
    unreachable: ["kafka_connect"],
    canary,
    root,
    dataDir,
    postgres,
    mongo: { client, database: mongoDatabase, collection: "reviews" },
    async close() {
      await Promise.allSettled(Object.values(sources).map((source) => context.vectors?.deleteSource(source)));
      await dropRedisPrefix(context, prefix);
      if (context.kafka) {
        const admin = context.kafka.admin();
        await admin.connect();
        await admin.deleteTopics({ topics: allTopics.map((topic) => `${run}.${topic}`) }).catch(() => undefined);
        await admin.disconnect();
      }
      await context.close();
      await postgres.drop();
      await dropMongoDatabase(client, mongoDatabase);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Every request reaches the functions with the key, unless it brings its own credentials. */
function presentingKey(routed: Hono, apiKey: string): Hono {
  const app = new Hono();
  app.all("*", (c) => {
    const headers = new Headers(c.req.raw.headers);
    if (!headers.has("authorization") && !headers.has("x-api-key")) headers.set("x-api-key", apiKey);
    return routed.fetch(new Request(c.req.raw, { headers }));
  });
  return app;
}

/**
 * Stored vectors, recorded sync specs and a real batch id, so valid requests reach past "not found".
 * Both the fuzz and the injection files start from this state.
 */
export async function seedFuzzFixture(fixture: FuzzFixture): Promise<void> {
  const post = (url: string, body: unknown) =>
    fixture.app.request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const { postgres, mongo } = fixture.sources;
  const ingested = [
    await post("/ingest-data", {
      source: postgres,
      table_or_collection: "items",
      text_fields: ["name", "description"],
    }),
    await post("/ingest-data", { source: mongo, table_or_collection: "reviews", text_fields: ["review", "product"] }),
  ];
  expect(ingested.map((response) => response.status)).toEqual([200, 200]);
  const queued = await post("/ingest-data-async", {
    source: postgres,
    table_or_collection: "items",
    text_fields: ["name"],
  });
  expect(queued.status).toBe(202);
  const batchId = (await readJson(queued)).batch_id as string;
  fixture.scenarios = fixture.scenarios.map((hints) => ({ ...hints, batch_id: [batchId] }));
}

export interface Answer {
  /** The path and query asked for: the OpenAI-compatible routes (/v1/…) answer errors in OpenAI's format. */
  url?: string;
  status: number;
  headers: Headers;
  text: string;
  ms: number;
}

/**
 * Sends a request and reads its whole body (an SSE stream to its end), failing past `boundMs`. The
 * bound tells a hang from an answer, not a slow answer from a fast one: it has room for a loaded
 * 2-core machine (the slowest fuzzed requests embed and write rows) and still ends a hang well
 * inside the test's own timeout.
 */
export async function send(app: Hono, request: GeneratedRequest, boundMs = 30_000): Promise<Answer> {
  const started = performance.now();
  const signal = AbortSignal.timeout(boundMs);
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${request.method} ${request.url.slice(0, 200)} took over ${boundMs} ms`)),
      boundMs,
    );
  });
  const exchange = (async () => {
    const response = await app.request(`http://127.0.0.1${request.url}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal,
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  })();
  try {
    const answer = await Promise.race([exchange, bound]);
    return { ...answer, url: request.url, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

const stackFrame = /\n\s+at |\(\/[^)\s]+:\d+:\d+\)|\bnode_modules\b|\.ts:\d+/;

/**
 * What is wrong with an answer, as text (empty when nothing is): a 5xx, an error outside the
 * envelope, a stack trace, a server path, a connection string, or the canary.
 */
export function problemsWith(
  answer: Answer,
  options: { canary: string; secrets: readonly string[]; unreachable?: readonly string[] },
): string[] {
  const problems: string[] = [];
  const expectedOutage =
    answer.status === 503 && (options.unreachable ?? []).includes(errorOf(answer)?.component ?? "");
  if (answer.status >= 500 && !expectedOutage) problems.push(`status ${answer.status}: ${answer.text.slice(0, 300)}`);
  if (answer.status >= 400) problems.push(...envelopeProblems(answer));
  if (stackFrame.test(answer.text))
    problems.push(`a stack trace or source path in the body: ${answer.text.slice(0, 300)}`);
  if (answer.text.includes(options.canary)) problems.push("the canary from a file outside DATA_DIR is in the body");
  for (const secret of options.secrets) {
    if (answer.text.includes(secret)) problems.push(`the body reveals '${secret}'`);
  }
  answer.headers.forEach((value, name) => {
    if (/[\r\n]/.test(value) || name.startsWith("x-injected")) problems.push(`header ${name} carries injected text`);
  });
  return problems;
}

function envelopeProblems(answer: Answer): string[] {
  if (!answer.headers.get("content-type")?.includes("application/json")) {
    return [`error ${answer.status} is not JSON (${answer.headers.get("content-type")})`];
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [`error ${answer.status} body is not JSON: ${answer.text.slice(0, 200)}`];
  }
  const error = soleErrorObject(body);
  // A path no function owns (`/v1/models/`) is answered by the router, in the envelope.
  if (answer.url?.startsWith("/v1/") && !answer.text.includes("No route for"))
    return openAiErrorProblems(answer, error);
  const wrong =
    error === undefined ||
    typeof error.code !== "string" ||
    error.code === "" ||
    typeof error.message !== "string" ||
    Object.keys(error).some((key) => !["code", "message", "details"].includes(key));
  return wrong ? [`error ${answer.status} outside the envelope: ${answer.text.slice(0, 200)}`] : [];
}

/** The `error` object of a body that is `{ "error": {…} }` and nothing else. */
function soleErrorObject(body: unknown): Record<string, unknown> | undefined {
  if (body === null || typeof body !== "object" || Object.keys(body).join() !== "error") return undefined;
  const { error } = body as { error: unknown };
  return typeof error === "object" && error !== null ? (error as Record<string, unknown>) : undefined;
}

/** OpenAI's error object: message, type, param and code, the code and message those of the envelope. */
function openAiErrorProblems(answer: Answer, error: Record<string, unknown> | undefined): string[] {
  const wrong =
    error === undefined ||
    Object.keys(error).sort().join() !== "code,message,param,type" ||
    typeof error.message !== "string" ||
    typeof error.type !== "string" ||
    typeof error.code !== "string" ||
    error.code === "" ||
    (error.param !== null && typeof error.param !== "string");
  return wrong ? [`error ${answer.status} is not an OpenAI error object: ${answer.text.slice(0, 200)}`] : [];
}

/** An error answer's code, message and named component, when it has the envelope. */
export function errorOf(answer: Answer): { code: string; message: string; component?: string } | undefined {
  try {
    const { error } = JSON.parse(answer.text) as {
      error?: { code: string; message: string; details?: { component?: string } };
    };
    return error && { code: error.code, message: error.message, component: error.details?.component };
  } catch {
    return undefined;
  }
}
