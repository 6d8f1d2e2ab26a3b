import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { batchesCapability, publisherCapability, sourcesCapability } from "../../core/context/index.js";
import { NotFoundError } from "../../core/errors/index.js";
import { queueIngestion } from "../../core/ingest/index.js";
import { recordSyncSpec } from "../../core/sync/index.js";
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { IngestRequestSchema, toIngestRequest } from "./shared/ingest-schemas.js";
import { bodyErrorResponses, ErrorSchema, errorResponses, sourceNotFoundResponse } from "./shared/schemas.js";

const BatchStatusSchema = z
  .object({
    batch_id: z.string(),
    source: z.string(),
    table: z.string(),
    status: z.enum(["queued", "processing", "completed", "failed", "completed_with_errors"]),
    total_documents: z.number().nullable().openapi({ description: "Known once the source has been read" }),
    processed_documents: z.number(),
    failed_documents: z.number(),
    progress_percentage: z.number(),
    error_message: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("BatchStatus");

const queueRoute = createRoute({
  method: "post",
  path: "/ingest-data-async",
  tags: ["ingestion"],
  summary: "Queue an ingestion on Kafka; workers read, embed and store it",
  description: "The source, table and fields are checked now: a mistake is a 400 here, not a failed batch later.",
  request: { body: { required: true, content: { "application/json": { schema: IngestRequestSchema } } } },
  responses: {
    202: {
      description: "Queued",
      content: { "application/json": { schema: z.object({ batch_id: z.string(), status: z.literal("queued") }) } },
    },
    ...errorResponses,
    ...bodyErrorResponses,
    ...sourceNotFoundResponse,
  },
});

const statusRoute = createRoute({
  method: "get",
  path: "/ingest-status/{batch_id}",
  tags: ["ingestion"],
  summary: "A batch's progress",
  request: { params: z.object({ batch_id: z.string().regex(/^[a-z0-9-]{8,64}$/) }) },
  responses: {
    200: { description: "Progress", content: { "application/json": { schema: BatchStatusSchema } } },
    404: { description: "Unknown or expired batch", content: { "application/json": { schema: ErrorSchema } } },
    ...errorResponses,
  },
});

const recentRoute = createRoute({
  method: "get",
  path: "/recent-batches",
  tags: ["ingestion"],
  summary: "Recent batches, newest first",
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }) },
  responses: {
    200: {
      description: "Recent batches",
      content: { "application/json": { schema: z.object({ batches: z.array(BatchStatusSchema) }) } },
    },
    ...errorResponses,
  },
});

/** What this function uses; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities({
  batches: batchesCapability,
  publisher: publisherCapability,
  sources: sourcesCapability,
});

export function createIngestAsyncApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities, access: "admin" });

  app.openapi(queueRoute, async (c) => {
    const request = toIngestRequest(c.req.valid("json"));
    const queued = await queueIngestion(c.var.context, request);
    await recordSyncSpec(c.var.context, request);
    return c.json(queued, 202);
  });

  app.openapi(statusRoute, async (c) => {
    const { batch_id } = c.req.valid("param");
    const status = await c.var.context.batches.get(batch_id);
    if (!status) throw new NotFoundError(`no batch '${batch_id}' (unknown or expired)`, { batch_id });
    return c.json(status, 200);
  });

  app.openapi(recentRoute, async (c) => {
    const { limit } = c.req.valid("query");
    return c.json({ batches: await c.var.context.batches.recent(limit) }, 200);
  });

  return app;
}

export const app = createIngestAsyncApp(contextWith(capabilities));
export const handler = handle(app);
