import { createRoute } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { healthCapabilities } from "../../core/context/index.js";
import { checkHealth } from "../../core/health/index.js";
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { HealthSchema } from "./shared/health-schemas.js";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["service"],
  summary: "Health of the service and each component",
  description:
    "200 when every required component is up; 503 naming those that are not. Disabled components are not required.",
  responses: {
    200: { description: "All required components are up", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "A required component is down", content: { "application/json": { schema: HealthSchema } } },
  },
});

/** What this function uses: what the health probes check; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities(healthCapabilities);

export function createHealthApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities, access: "public" });
  app.openapi(healthRoute, async (c) => {
    const context = c.var.context;
    const report = await checkHealth(context.healthProbes(), {
      timeoutMs: context.settings.HEALTH_TIMEOUT_MS,
      onFailure: (component, error) => c.var.logger.warn({ component, err: error }, "health check failed"),
    });
    const body = { ...report, timestamp: new Date().toISOString() };
    return report.status === "ok" ? c.json(body, 200) : c.json(body, 503);
  });
  return app;
}

export const app = createHealthApp(contextWith(capabilities));
export const handler = handle(app);
