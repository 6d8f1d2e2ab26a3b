import type { OpenAPIHono } from "@hono/zod-openapi";
import { app as auditApp, createAuditApp } from "./audit.js";
import { app as cdcApp, createCdcApp } from "./cdc.js";
import { app as chatApp, createChatApp } from "./chat.js";
import { app as chatStreamApp, createChatStreamApp } from "./chat-stream.js";
import { createCsvFilesApp, app as csvFilesApp } from "./csv-files.js";
import { createHealthApp, app as healthApp } from "./health.js";
import { createHistoryApp, app as historyApp } from "./history.js";
import { createIngestApp, app as ingestApp } from "./ingest.js";
import { createIngestAsyncApp, app as ingestAsyncApp } from "./ingest-async.js";
import { createLlmApp, app as llmApp } from "./llm.js";
import { createMcpApp, app as mcpApp } from "./mcp.js";
import { createMetricsApp, app as metricsApp } from "./metrics.js";
import { createOpenAiApp, app as openAiApp } from "./openai.js";
import { createQueryApp, app as queryApp } from "./query.js";
import { createSearchApp, app as searchApp } from "./search.js";
import { createServiceInfoApp, app as serviceInfoApp } from "./service-info.js";
import type { AppEnv, ContextProvider } from "./shared/create-app.js";
import { createSourcesApp, app as sourcesApp } from "./sources.js";
import { createSyncApp, app as syncApp } from "./sync.js";
import { createWebApp, app as webApp } from "./web-app.js";

export interface HttpFunction {
  /** Its name in serverless.yml (camelCased there) and its file under functions/http/. */
  name: string;
  /** Built over the process's default context, as deployed. */
  app: OpenAPIHono<AppEnv>;
  /** The same function over another context (the tests', a benchmark's). */
  create: (getContext: ContextProvider) => OpenAPIHono<AppEnv>;
}

/**
 * Every HTTP function: the one list the local server, the docs function (which merges their
 * OpenAPI documents) and the tests are built from, and serverless.yml is checked against.
 * Deployed, each is its own Lambda.
 */
export const httpFunctions: ReadonlyArray<HttpFunction> = [
  { name: "service-info", app: serviceInfoApp, create: createServiceInfoApp },
  { name: "health", app: healthApp, create: createHealthApp },
  { name: "sources", app: sourcesApp, create: createSourcesApp },
  { name: "csv-files", app: csvFilesApp, create: createCsvFilesApp },
  { name: "ingest", app: ingestApp, create: createIngestApp },
  { name: "ingest-async", app: ingestAsyncApp, create: createIngestAsyncApp },
  { name: "sync", app: syncApp, create: createSyncApp },
  { name: "cdc", app: cdcApp, create: createCdcApp },
  { name: "audit", app: auditApp, create: createAuditApp },
  { name: "search", app: searchApp, create: createSearchApp },
  { name: "query", app: queryApp, create: createQueryApp },
  { name: "chat", app: chatApp, create: createChatApp },
  { name: "chat-stream", app: chatStreamApp, create: createChatStreamApp },
  { name: "history", app: historyApp, create: createHistoryApp },
  { name: "llm", app: llmApp, create: createLlmApp },
  { name: "mcp", app: mcpApp, create: createMcpApp },
  { name: "openai", app: openAiApp, create: createOpenAiApp },
  { name: "metrics", app: metricsApp, create: createMetricsApp },
  { name: "web-app", app: webApp, create: createWebApp },
];
