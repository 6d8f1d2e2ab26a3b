import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { kafkaCapability } from "../../core/context/index.js";
import { NotFoundError } from "../../core/errors/index.js";
import { refreshConsumerLag, renderMetrics } from "../../core/metrics/index.js";
import { lagOptions } from "../events/shared/consumer-topics.js";
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { ErrorSchema, errorResponses } from "./shared/schemas.js";

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["service"],
  summary: "Prometheus metrics (text exposition format 0.0.4), with consumer lag read from Kafka now",
  responses: {
    200: {
      description: "Every metric family of this process, and each consumer group's lag per topic-partition",
      content: { "text/plain": { schema: z.string() } },
    },
    ...errorResponses,
    404: {
      description: "Metrics are off (METRICS_MODE=off)",
      content: { "application/json": { schema: ErrorSchema } },
    },
  },
});

/**
 * What a Prometheus server scrapes. Counters and histograms are this process's own; the lag is
 * read from Kafka's admin API on every scrape, so any instance reports the whole deployment's.
 */
/** What this function uses: consumer lag is read from Kafka at scrape time; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities({ kafka: kafkaCapability });

export function createMetricsApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities, access: "admin" });
  app.openapi(metricsRoute, async (c) => {
    const { settings, kafka } = c.var.context;
    if (settings.METRICS_MODE === "off") throw new NotFoundError("metrics are off (METRICS_MODE=off)");
    await refreshConsumerLag(kafka, lagOptions(settings));
    const { body, contentType } = await renderMetrics();
    return c.text(body, 200, { "Content-Type": contentType });
  });
  return app;
}

export const app = createMetricsApp(contextWith(capabilities));
export const handler = handle(app);
