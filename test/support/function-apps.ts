import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { AppContext } from "../../core/context/index.js";
import { createAuditApp } from "../../functions/http/audit.js";
import { createCdcApp } from "../../functions/http/cdc.js";
import { createChatApp } from "../../functions/http/chat.js";
import { createChatStreamApp } from "../../functions/http/chat-stream.js";
import { createCsvFilesApp } from "../../functions/http/csv-files.js";
import { createDocsApp } from "../../functions/http/docs.js";
import { createHealthApp } from "../../functions/http/health.js";
import { createIngestApp } from "../../functions/http/ingest.js";
import { createIngestAsyncApp } from "../../functions/http/ingest-async.js";
import { createLlmApp } from "../../functions/http/llm.js";
import { createMcpApp } from "../../functions/http/mcp.js";
import { createMetricsApp } from "../../functions/http/metrics.js";
import { createOpenAiApp } from "../../functions/http/openai.js";
import { createQueryApp } from "../../functions/http/query.js";
import { httpFunctions } from "../../functions/http/registry.js";
import { createSearchApp } from "../../functions/http/search.js";
import { createServiceInfoApp } from "../../functions/http/service-info.js";
import type { AppEnv, ContextProvider } from "../../functions/http/shared/create-app.js";
import { createSourcesApp } from "../../functions/http/sources.js";
import { createSyncApp } from "../../functions/http/sync.js";
import { createWebApp } from "../../functions/http/web-app.js";

type AppFactory = (getContext: ContextProvider) => OpenAPIHono<AppEnv>;

/** Each registered HTTP function's factory, by its registry name. */
export const appFactories: Readonly<Record<string, AppFactory>> = {
  "service-info": createServiceInfoApp,
  health: createHealthApp,
  sources: createSourcesApp,
  "csv-files": createCsvFilesApp,
  ingest: createIngestApp,
  "ingest-async": createIngestAsyncApp,
  sync: createSyncApp,
  cdc: createCdcApp,
  audit: createAuditApp,
  search: createSearchApp,
  query: createQueryApp,
  chat: createChatApp,
  "chat-stream": createChatStreamApp,
  llm: createLlmApp,
  mcp: createMcpApp,
  openai: createOpenAiApp,
  metrics: createMetricsApp,
  "web-app": createWebApp,
};

/**
 * Every registered function built over `context`, routed as functions/local/server.ts routes
 * (each request to the one app owning its method and path, so only that app's middleware runs).
 * Throws when the registry has a function this map does not know, so a new one is never skipped.
 */
export function createTestLocalApp(context: AppContext): Hono {
  assertEveryFunctionHasAFactory();
  const apps = httpFunctions.map((entry) => (appFactories[entry.name] as AppFactory)(() => context));
  const owners = [...apps, createDocsApp(apps)].flatMap((app) =>
    app.routes
      .filter((route) => route.method !== "ALL")
      .map((route) => ({ method: route.method, pattern: pathPattern(route.path), app })),
  );
  const root = new Hono();
  root.all("*", (c) => {
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    const owner = owners.find((candidate) => candidate.method === method && candidate.pattern.test(c.req.path));
    if (owner) return owner.app.fetch(c.req.raw);
    const allowed = owners.filter((candidate) => candidate.pattern.test(c.req.path)).map((found) => found.method);
    if (allowed.length) {
      return c.json(
        { error: { code: "method_not_allowed", message: `${c.req.method} is not allowed on ${c.req.path}` } },
        405,
        { Allow: [...new Set(allowed)].join(", ") },
      );
    }
    return c.json({ error: { code: "not_found", message: `No route for ${c.req.method} ${c.req.path}` } }, 404);
  });
  return root;
}

/** Throws naming each registered function `appFactories` does not know. */
export function assertEveryFunctionHasAFactory(): void {
  const missing = httpFunctions.map((entry) => entry.name).filter((name) => !(name in appFactories));
  if (missing.length) throw new Error(`no factory for registered function(s): ${missing.join(", ")}`);
}

function pathPattern(path: string): RegExp {
  const escaped = path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}$`);
}
