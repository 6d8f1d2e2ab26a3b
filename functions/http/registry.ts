import type { OpenAPIHono } from "@hono/zod-openapi";
import { app as auditApp } from "./audit.js";
import { app as cdcApp } from "./cdc.js";
import { app as chatApp } from "./chat.js";
import { app as chatStreamApp } from "./chat-stream.js";
import { app as csvFilesApp } from "./csv-files.js";
import { app as healthApp } from "./health.js";
import { app as ingestApp } from "./ingest.js";
import { app as ingestAsyncApp } from "./ingest-async.js";
import { app as llmApp } from "./llm.js";
import { app as mcpApp } from "./mcp.js";
import { app as metricsApp } from "./metrics.js";
import { app as openAiApp } from "./openai.js";
import { app as queryApp } from "./query.js";
import { app as searchApp } from "./search.js";
import { app as serviceInfoApp } from "./service-info.js";
import type { AppEnv } from "./shared/create-app.js";
import { app as sourcesApp } from "./sources.js";
import { app as syncApp } from "./sync.js";
import { app as webApp } from "./web-app.js";

/**
 * Every HTTP function, for the local server (which mounts them all on one port) and the
 * docs function (which merges their OpenAPI documents). Deployed, each is its own Lambda.
 */
export const httpFunctions: ReadonlyArray<{ name: string; app: OpenAPIHono<AppEnv> }> = [
  { name: "service-info", app: serviceInfoApp },
  { name: "health", app: healthApp },
  { name: "sources", app: sourcesApp },
  { name: "csv-files", app: csvFilesApp },
  { name: "ingest", app: ingestApp },
  { name: "ingest-async", app: ingestAsyncApp },
  { name: "sync", app: syncApp },
  { name: "cdc", app: cdcApp },
  { name: "audit", app: auditApp },
  { name: "search", app: searchApp },
  { name: "query", app: queryApp },
  { name: "chat", app: chatApp },
  { name: "chat-stream", app: chatStreamApp },
  { name: "llm", app: llmApp },
  { name: "mcp", app: mcpApp },
  { name: "openai", app: openAiApp },
  { name: "metrics", app: metricsApp },
  { name: "web-app", app: webApp },
];
