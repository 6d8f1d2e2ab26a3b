import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { healthCapabilities } from "../../core/context/index.js";
import { embeddingModelInfo } from "../../core/embeddings/index.js";
import { checkHealth } from "../../core/health/index.js";
import { configuredProviders, defaultProvider } from "../../core/llm/index.js";
import packageJson from "../../package.json" with { type: "json" };
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { HealthSchema } from "./shared/health-schemas.js";
import { prefersHtml } from "./shared/negotiation.js";
import { requireAccess } from "./shared/security.js";

const startedAt = new Date();

const InfoSchema = z
  .object({
    service: z.string(),
    version: z.string(),
    description: z.string(),
    docs: z.string(),
    openapi: z.string(),
    health: z.string(),
    mcp: z.string().openapi({ description: "The MCP server (Streamable HTTP); `npm run mcp` serves it over stdio" }),
    openai: z.string().openapi({ description: "Base URL of the OpenAI-compatible API (chat/completions, models)" }),
  })
  .openapi("ServiceInfo");

const StatusSchema = z
  .object({
    service: z.string(),
    version: z.string(),
    started_at: z.string(),
    uptime_seconds: z.number(),
    runtime: z.object({ node: z.string(), platform: z.string(), memory_rss_bytes: z.number() }),
    embedding: z.object({ model: z.string(), dtype: z.string(), dimension: z.number(), batch_size: z.number() }),
    llm: z.object({
      default: z.string(),
      providers: z.array(z.object({ name: z.string(), model: z.string(), remote: z.boolean() })),
    }),
    health: HealthSchema,
  })
  .openapi("ServiceStatus");

const infoRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["service"],
  summary: "Service information and where the docs are",
  responses: {
    200: { description: "Service information", content: { "application/json": { schema: InfoSchema } } },
    302: { description: "A browser (Accept ranking text/html above JSON) is sent to the chat page at /app" },
  },
});

const statusRoute = createRoute({
  method: "get",
  path: "/status",
  tags: ["service"],
  summary: "Detailed status: versions, settings in effect (no secrets), uptime and component health",
  responses: { 200: { description: "Detailed status", content: { "application/json": { schema: StatusSchema } } } },
});

/** What this function uses: /status reports health (every probed component) and the model's name; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities(healthCapabilities);

export function createServiceInfoApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities, access: "public" });
  // `/` stays public; the detailed status names settings and versions, so it needs a key.
  app.use("/status", requireAccess("chat"));

  app.openapi(infoRoute, (c) => {
    // The answer depends on Accept, so a cache must not hand a browser's redirect to an API client.
    c.header("Vary", "Accept");
    if (prefersHtml(c)) return c.redirect("/app", 302);
    return c.json(
      {
        service: c.var.context.settings.SERVICE_NAME,
        version: packageJson.version,
        description: packageJson.description,
        docs: "/docs",
        openapi: "/openapi.json",
        health: "/health",
        mcp: "/mcp",
        openai: "/v1",
      },
      200,
    );
  });

  app.openapi(statusRoute, async (c) => {
    const { settings } = c.var.context;
    // Known from the settings: reporting the model must not load it.
    const embedder = embeddingModelInfo(settings);
    const report = await checkHealth(c.var.context.healthProbes(), { timeoutMs: settings.HEALTH_TIMEOUT_MS });
    return c.json(
      {
        service: settings.SERVICE_NAME,
        version: packageJson.version,
        started_at: startedAt.toISOString(),
        uptime_seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
        runtime: { node: process.version, platform: process.platform, memory_rss_bytes: process.memoryUsage.rss() },
        embedding: {
          model: embedder.model,
          dtype: settings.EMBEDDING_DTYPE,
          dimension: embedder.dimension,
          batch_size: settings.EMBEDDING_BATCH_SIZE,
        },
        llm: { default: defaultProvider(settings).name, providers: configuredProviders(settings) },
        health: { ...report, timestamp: new Date().toISOString() },
      },
      200,
    );
  });

  return app;
}

export const app = createServiceInfoApp(contextWith(capabilities));
export const handler = handle(app);
