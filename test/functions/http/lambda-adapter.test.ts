import type { OpenAPIHono } from "@hono/zod-openapi";
import { handle, type LambdaEvent } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createAuditApp } from "../../../functions/http/audit.js";
import { createCdcApp } from "../../../functions/http/cdc.js";
import { createChatApp } from "../../../functions/http/chat.js";
import { createChatStreamApp } from "../../../functions/http/chat-stream.js";
import { createCsvFilesApp } from "../../../functions/http/csv-files.js";
import { createDocsApp } from "../../../functions/http/docs.js";
import { createHealthApp } from "../../../functions/http/health.js";
import { createHistoryApp } from "../../../functions/http/history.js";
import { createIngestApp } from "../../../functions/http/ingest.js";
import { createIngestAsyncApp } from "../../../functions/http/ingest-async.js";
import { createLlmApp } from "../../../functions/http/llm.js";
import { createMcpApp } from "../../../functions/http/mcp.js";
import { createMetricsApp } from "../../../functions/http/metrics.js";
import { createOpenAiApp } from "../../../functions/http/openai.js";
import { createQueryApp } from "../../../functions/http/query.js";
import { httpFunctions } from "../../../functions/http/registry.js";
import { createSearchApp } from "../../../functions/http/search.js";
import { createServiceInfoApp } from "../../../functions/http/service-info.js";
import type { AppEnv, ContextProvider } from "../../../functions/http/shared/create-app.js";
import { streamingHandler } from "../../../functions/http/shared/lambda-stream.js";
import { createSourcesApp } from "../../../functions/http/sources.js";
import { createSyncApp } from "../../../functions/http/sync.js";
import { createWebApp } from "../../../functions/http/web-app.js";
import { createTestContext } from "../../support/app-context.js";
import {
  functionUrlEvent,
  type HttpApiRequest,
  httpApiEvent,
  installLambdaStreamingRuntime,
  lambdaContext,
  readStreamedResponse,
} from "../../support/lambda.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";
import { readSseEvents } from "../../support/sse.js";
import { releaseRun } from "../../support/test-run.js";

type AppFactory = (getContext: ContextProvider) => OpenAPIHono<AppEnv>;

interface Case {
  create: AppFactory;
  request: HttpApiRequest;
  status: number;
  requestId?: false;
  contentType?: string;
  /** What the answer must say, not only its status: the JSON body, and the raw text for other types. */
  check?: (body: Record<string, unknown>, text: string) => void;
}

describe("every HTTP function behind Lambda's adapter, with API Gateway HTTP API (v2) events", {
  timeout: 120_000,
}, () => {
  const run = uniqueName("lambda").replace(/-/g, "_");
  const source = `pg_${run}`;
  const prefix = `${run}:`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE gear (id int PRIMARY KEY, name text, description text);
       INSERT INTO gear VALUES
         (1, 'Trailblazer Backpack', 'A waterproof hiking backpack with a 30 litre capacity.'),
         (2, 'Aurora Desk Lamp', 'An LED desk lamp with three brightness levels.'),
         (3, 'Summit Tent', 'A two-person tent for alpine camping that weighs 2.1 kg.');`,
    );
    context = createTestContext({
      REDIS_KEY_PREFIX: prefix,
      LLM_PROVIDER: "extractive",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
        { name: "samples", kind: "csv", path: "samples" },
      ]),
    });
  });

  afterAll(async () => {
    await releaseRun(context, { sources: [source], redisPrefix: prefix });
    await fixture?.drop();
  });

  const invoke = async (create: AppFactory, request: HttpApiRequest) => {
    const result = await handle(create(() => context))(httpApiEvent(request) as unknown as LambdaEvent, lambdaContext);
    const isJson = String(result.headers?.["content-type"] ?? "").includes("json");
    return { ...result, json: (isJson ? JSON.parse(result.body ?? "null") : {}) as Record<string, unknown> };
  };

  // In order: the ingest case stores the rows that search and chat then find.
  const cases: Record<string, Case> = {
    "service-info": {
      create: createServiceInfoApp,
      request: { method: "GET", path: "/" },
      status: 200,
      check: (body) => expect(body).toMatchObject({ service: "chat-with-your-data" }),
    },
    health: {
      create: createHealthApp,
      request: { method: "GET", path: "/health" },
      status: 200,
      check: (body) => expect(body).toMatchObject({ status: "ok" }),
    },
    docs: {
      // The docs function serves static documents and carries no request context.
      create: (() => createDocsApp()) as unknown as AppFactory,
      requestId: false,
      request: { method: "GET", path: "/openapi.json" },
      status: 200,
      check: (body) => expect(Object.keys(body.paths as object)).toContain("/search"),
    },
    sources: {
      create: createSourcesApp,
      request: { method: "GET", path: "/sources" },
      status: 200,
      check: (body) => expect(JSON.stringify(body)).toContain(source),
    },
    "csv-files": {
      create: createCsvFilesApp,
      request: { method: "GET", path: "/csv-sample", query: { file_path: "samples/products.csv", rows: "2" } },
      status: 200,
      check: (body) => expect(body.rows).toHaveLength(2),
    },
    ingest: {
      create: createIngestApp,
      // API Gateway base64-encodes bodies it takes for binary; the adapter must decode them.
      request: {
        method: "POST",
        path: "/ingest-data",
        base64: true,
        body: JSON.stringify({ source, table_or_collection: "gear", text_fields: ["name", "description"] }),
      },
      status: 200,
      check: (body) => expect(body).toMatchObject({ documents: 3, failed: 0 }),
    },
    "ingest-async": {
      create: createIngestAsyncApp,
      request: { method: "GET", path: "/recent-batches" },
      status: 200,
      check: (body) => expect(body).toEqual({ batches: expect.any(Array) }),
    },
    search: {
      create: createSearchApp,
      request: {
        method: "POST",
        path: "/search",
        base64: true,
        body: JSON.stringify({ query: "a bag that keeps rain out", max_results: 1, filters: { source } }),
      },
      status: 200,
      check: (body) => expect((body.results as { id: string }[])[0]?.id).toBe(`${source}:gear:1`),
    },
    // The ingest above opened the table to structured queries (no query_tables: ingested tables are open).
    query: {
      create: createQueryApp,
      request: {
        method: "POST",
        path: "/query",
        body: JSON.stringify({ source, table: "gear", filters: [{ column: "name", op: "contains", value: "tent" }] }),
      },
      status: 200,
      check: (body) => expect(body).toMatchObject({ rows: [{ id: 3, name: "Summit Tent" }], truncated: false }),
    },
    // The ingest above recorded the table's sync spec, so a sync needs only the table.
    sync: {
      create: createSyncApp,
      request: {
        method: "POST",
        path: `/sync/${source}`,
        route: "/sync/{source}",
        pathParameters: { source },
        body: JSON.stringify({ table: "gear" }),
      },
      status: 200,
      check: (body) => expect(body).toMatchObject({ reembedded: 0, deleted: 0 }),
    },
    audit: {
      create: createAuditApp,
      request: {
        method: "GET",
        path: `/audit/${source}`,
        route: "/audit/{source}",
        pathParameters: { source },
        query: { table: "gear" },
      },
      status: 200,
      check: (body) => expect(JSON.stringify(body)).toContain("missing"),
    },
    // A source with no CDC yet: a 404 in the envelope that says so.
    cdc: {
      create: createCdcApp,
      request: {
        method: "GET",
        path: `/sources/${source}/cdc`,
        route: "/sources/{name}/cdc",
        pathParameters: { name: source },
      },
      status: 404,
      check: (body) => expect(body).toMatchObject({ error: { code: "not_found", details: { source } } }),
    },
    metrics: {
      create: createMetricsApp,
      request: { method: "GET", path: "/metrics" },
      status: 200,
      contentType: "text/plain",
      check: (_body, text) => expect(text).toMatch(/^# TYPE cwd_http_requests_total counter$/m),
    },
    "web-app": {
      create: createWebApp,
      request: { method: "GET", path: "/app", headers: { accept: "text/html" } },
      status: 200,
      contentType: "text/html",
      check: (_body, text) => expect(text).toContain("<title>Chat with your data</title>"),
    },
    chat: {
      create: createChatApp,
      request: {
        method: "POST",
        path: "/chat",
        body: JSON.stringify({ user_name: "ada", message: "Which tent is light?", filters: { source } }),
      },
      status: 200,
      check: (body) => expect((body.sources as { content: string }[])[0]?.content).toContain("Summit Tent"),
    },
    history: {
      create: createHistoryApp,
      request: { method: "GET", path: "/chat/history/nobody-yet", route: "/chat/history/{user_name}" },
      status: 200,
      check: (body) => expect(body).toMatchObject({ user_name: "nobody-yet", messages: [] }),
    },
    llm: {
      create: createLlmApp,
      request: { method: "GET", path: "/api/llm/providers" },
      status: 200,
      check: (body) => expect(body.providers).toContainEqual(expect.objectContaining({ name: "extractive" })),
    },
    mcp: {
      create: createMcpApp,
      request: {
        method: "POST",
        path: "/mcp",
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "search", arguments: { query: "a light tent", max_results: 1, filters: { source } } },
        }),
      },
      status: 200,
      check: (body) =>
        expect(body).toMatchObject({
          id: 1,
          result: { structuredContent: { results: [{ id: `${source}:gear:3`, table: "gear" }] } },
        }),
    },
    openai: {
      create: createOpenAiApp,
      request: {
        method: "POST",
        path: "/v1/chat/completions",
        body: JSON.stringify({
          model: `data:${source}`,
          messages: [{ role: "user", content: "Which tent is light?" }],
        }),
      },
      status: 200,
      check: (body) => {
        expect(body).toMatchObject({ object: "chat.completion", model: `data:${source}` });
        expect((body.sources as { content: string }[])[0]?.content).toContain("Summit Tent");
      },
    },
  };

  for (const [name, { create, request, status, requestId, contentType, check }] of Object.entries(cases)) {
    it(`${name}: ${request.method} ${request.path}`, async () => {
      const result = await invoke(create, request);
      expect(result.statusCode, result.body).toBe(status);
      expect(result.headers?.["content-type"]).toContain(contentType ?? "application/json");
      if (requestId !== false) expect(result.headers?.["x-request-id"]).toBeTruthy();
      check?.(result.json, result.body ?? "");
    });
  }

  it("reads path parameters from the event (chat history for the user who just asked)", async () => {
    const result = await invoke(createHistoryApp, {
      method: "GET",
      path: "/chat/history/ada",
      route: "/chat/history/{user_name}",
      pathParameters: { user_name: "ada" },
      query: { limit: "10" },
    });
    expect(result.statusCode).toBe(200);
    expect((result.json.messages as { role: string }[]).map((message) => message.role)).toEqual(["user", "assistant"]);
  });

  it("answers bad input behind the adapter with the 4xx envelope, base64 or not", async () => {
    for (const base64 of [false, true]) {
      const result = await invoke(createSearchApp, {
        method: "POST",
        path: "/search",
        base64,
        body: '{"query": ',
      });
      expect(result.statusCode).toBe(400);
      expect(result.json).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });

  it("streams /chat/stream through the response-streaming adapter with the same SSE frames as the Node server", async () => {
    const body = JSON.stringify({ user_name: "grace", message: "Which lamp is adjustable?", filters: { source } });
    const restore = installLambdaStreamingRuntime();
    try {
      const handler = streamingHandler(createChatStreamApp(() => context)) as unknown as (
        event: unknown,
        context: unknown,
      ) => Promise<unknown>;
      const streamed = readStreamedResponse(
        await handler(functionUrlEvent({ method: "POST", path: "/chat/stream", body }), lambdaContext),
      );
      expect(streamed.statusCode).toBe(200);
      expect(streamed.headers["content-type"]).toContain("text/event-stream");

      const node = await createChatStreamApp(() => context).request("/chat/stream", {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
      const frames = (events: { event?: string; data: string }[]) =>
        events.map((event) => {
          if (event.data === "[DONE]") return { event: event.event, data: event.data };
          const { timings: _timings, ...data } = JSON.parse(event.data) as Record<string, unknown>;
          return { event: event.event, data };
        });
      const lambdaFrames = frames(await readSseEvents(new Response(streamed.body)));
      expect(lambdaFrames.map((frame) => frame.event)).toEqual(expect.arrayContaining(["sources", "content", "done"]));
      expect(lambdaFrames).toEqual(frames(await readSseEvents(node)));
    } finally {
      restore();
    }
  });

  it("covers every HTTP function in the registry", () => {
    const covered = new Set([...Object.keys(cases), "chat-stream"]);
    expect(httpFunctions.map(({ name }) => name).filter((name) => !covered.has(name))).toEqual([]);
  });
});
