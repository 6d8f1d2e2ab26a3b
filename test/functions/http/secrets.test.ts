import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppContext, createAppContext } from "../../../core/context/index.js";
import { createLogger } from "../../../core/logging/index.js";
import { allTopics } from "../../../core/messaging/index.js";
import { createHealthApp } from "../../../functions/http/health.js";
import { createIngestApp } from "../../../functions/http/ingest.js";
import { createIngestAsyncApp } from "../../../functions/http/ingest-async.js";
import { createMcpApp } from "../../../functions/http/mcp.js";
import { createOpenAiApp } from "../../../functions/http/openai.js";
import { createSearchApp } from "../../../functions/http/search.js";
import { createServiceInfoApp } from "../../../functions/http/service-info.js";
import { createSourcesApp } from "../../../functions/http/sources.js";
import { startWorkers } from "../../../functions/local/workers.js";
import { readTopic } from "../../support/kafka.js";
import { postgresAdminSql as adminSql, createPostgresFixture } from "../../support/postgres-fixture.js";
import { waitFor } from "../../support/processes.js";
import { testServices, testSettings, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

describe("no credential in logs, Kafka messages, Redis or any response", { timeout: 240_000 }, () => {
  const runId = uniqueName("secrets").replace(/-/g, "_");
  const role = `r_${runId}`;
  const password = `pw${randomBytes(18).toString("hex")}`;
  const geminiKey = `gk${randomBytes(18).toString("hex")}`;
  const kafkaPassword = `kp${randomBytes(18).toString("hex")}`;
  const secrets = [password, geminiKey, kafkaPassword];
  const topicPrefix = `${runId}.`;
  const logs: string[] = [];
  const responses: string[] = [];
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let workers: { stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE customers (id int PRIMARY KEY, name text, note text);
       INSERT INTO customers SELECT n, 'Customer ' || n, 'Prefers delivery on Tuesdays, order ' || n FROM generate_series(1, 30) AS n;`,
    );
    await adminSql(
      `CREATE ROLE ${role} LOGIN PASSWORD '${password}'; GRANT USAGE ON SCHEMA ${fixture.schema} TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA ${fixture.schema} TO ${role};`,
    );
    const url = new URL(testServices.postgresUrl);
    const settings = testSettings({
      LOG_LEVEL: "debug",
      ALLOW_INLINE_CONNECTIONS: "true",
      GEMINI_API_KEY: geminiKey,
      // Not used to connect (the test broker has no SASL); set so any leak of it would show.
      KAFKA_SASL_PASSWORD: kafkaPassword,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_PREFIX: runId,
      REDIS_KEY_PREFIX: `${runId}:`,
      SECRET_PG_PASSWORD: password,
      SOURCES: JSON.stringify([
        {
          name: runId,
          kind: "postgresql",
          host: url.hostname,
          port: Number(url.port),
          database: url.pathname.slice(1),
          user: role,
          password_env: "SECRET_PG_PASSWORD",
          schema: fixture.schema,
        },
      ]),
    });
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    });
    context = createAppContext(settings, createLogger(settings, sink));
    workers = await startWorkers(context);
  });

  afterAll(async () => {
    await workers?.stop();
    await releaseRun(context, { sources: [runId, "inline"], topicPrefix });
    await fixture?.drop();
    await adminSql(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role};`).catch(() => undefined);
  });

  const call = async (response: Response | Promise<Response>) => {
    const resolved = await response;
    const text = await resolved.text();
    responses.push(JSON.stringify([...resolved.headers]), text);
    return { status: resolved.status, body: text ? JSON.parse(text) : undefined };
  };
  const post = (body: unknown) => ({
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });

  it("uses the credentials, then finds none of them anywhere they could leak", async () => {
    const inline = {
      db_type: "postgresql",
      connection_params: {
        host: new URL(testServices.postgresUrl).hostname,
        port: Number(new URL(testServices.postgresUrl).port),
        database: "chat_test",
        user: role,
        password,
        schema: fixture.schema,
      },
      table_or_collection: "customers",
      text_fields: ["name", "note"],
    };
    expect((await call(createIngestApp(() => context).request("/ingest-data", post(inline)))).status).toBe(200);
    // A wrong password: the refusal is reported without echoing what was sent.
    const refused = await call(
      createIngestApp(() => context).request(
        "/ingest-data",
        post({ ...inline, connection_params: { ...inline.connection_params, password: `${password}x` } }),
      ),
    );
    expect(refused.status).toBe(502);
    expect(
      (await call(createSourcesApp(() => context).request("/schema", post({ ...inline, text_fields: undefined }))))
        .status,
    ).toBe(200);

    const queued = await call(
      createIngestAsyncApp(() => context).request(
        "/ingest-data-async",
        post({ source: runId, table_or_collection: "customers", text_fields: ["name", "note"] }),
      ),
    );
    expect(queued.status).toBe(202);
    await waitFor(
      async () =>
        (await call(createIngestAsyncApp(() => context).request(`/ingest-status/${queued.body.batch_id}`))).body
          .status === "completed",
      120_000,
      "async batch completed",
    );
    expect(
      (
        await call(
          createSearchApp(() => context).request(
            "/search",
            post({ query: "Tuesday delivery", filters: { source: runId } }),
          ),
        )
      ).status,
    ).toBe(200);
    // MCP and the OpenAI-compatible API reach the same source (describe_table connects with the password).
    const mcp = (id: number, name: string, args: Record<string, unknown>) =>
      call(
        createMcpApp(() => context).request(
          "/mcp",
          post({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }),
        ),
      );
    const described = await mcp(1, "describe_table", { source: runId, table: "customers" });
    expect(described.body.result.structuredContent).toMatchObject({ table: "customers", indexed_vectors: 30 });
    const asked = await mcp(2, "ask", { question: "Who prefers Tuesdays?", filters: { source: runId } });
    expect(asked.body.result.structuredContent.error).toMatchObject({ code: "llm_unavailable" });
    expect((await mcp(3, "get_row", { id: `${runId}:customers:7` })).body.result.isError).toBeFalsy();
    // A connection refused mid-call is a tool error; its message must not carry what was sent either.
    await mcp(4, "ingest_table", { source: runId, table: "nowhere", text_fields: ["name"] });
    const completion = {
      model: `data:${runId}`,
      messages: [{ role: "user", content: "Who prefers Tuesday delivery?" }],
    };
    // The default provider here is Gemini with a key and no network: the failure must not echo the key.
    const completed = await call(createOpenAiApp(() => context).request("/v1/chat/completions", post(completion)));
    expect(completed.status).toBe(503);
    expect(completed.body.error).toMatchObject({ type: "server_error", code: "llm_unavailable" });
    const streamed = await createOpenAiApp(() => context).request(
      "/v1/chat/completions",
      post({ ...completion, stream: true }),
    );
    responses.push(JSON.stringify([...streamed.headers]), await streamed.text());
    await call(createOpenAiApp(() => context).request("/v1/models"));
    await call(createSourcesApp(() => context).request("/sources"));
    await call(createServiceInfoApp(() => context).request("/status"));
    await call(createHealthApp(() => context).request("/health"));

    // Everything that went on Kafka, everything in Redis under this run's prefix, every log line and response.
    const kafka = context.kafka;
    if (!kafka) throw new Error("tests run with Kafka");
    const messages: string[] = [];
    for (const topic of allTopics) messages.push(...(await readTopic(kafka, `${topicPrefix}${topic}`, 0, 20_000)));
    const redis = context.redis;
    if (!redis) throw new Error("tests run with Redis");
    const stored: string[] = [];
    for (const key of await redis.keys(`${runId}:*`)) {
      const type = await redis.type(key);
      if (type === "string") stored.push((await redis.get(key)) ?? "");
      if (type === "hash") stored.push(JSON.stringify(await redis.hgetall(key)));
      if (type === "set") stored.push(...(await redis.smembers(key)));
      if (type === "list") stored.push(...(await redis.lrange(key, "0", "-1")));
      if (type === "zset") stored.push(...(await redis.zrange(key, "0", "-1")));
    }
    expect(messages.length).toBeGreaterThan(0);
    expect(stored.length).toBeGreaterThan(0);
    expect(logs.length).toBeGreaterThan(10);
    for (const [where, texts] of Object.entries({ logs, messages, stored, responses })) {
      for (const secret of secrets) {
        expect(
          texts.filter((text) => text.includes(secret)),
          `${where} contains a secret`,
        ).toEqual([]);
      }
    }
  });
});
