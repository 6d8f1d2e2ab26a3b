import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { ingestTable } from "../../core/ingest/index.js";
import { recordSyncSpec } from "../../core/sync/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { IngestRequestSchema, toIngestRequest } from "./shared/ingest-schemas.js";
import { bodyErrorResponses, errorResponse, errorResponses, sourceNotFoundResponse } from "./shared/schemas.js";

const IngestSummarySchema = z
  .object({
    source: z.string(),
    table: z.string(),
    documents: z.number(),
    chunks: z.number(),
    skipped: z.number(),
    failed: z.number(),
    duration_ms: z.number(),
  })
  .openapi("IngestSummary");

const ingestRoute = createRoute({
  method: "post",
  path: "/ingest-data",
  tags: ["ingestion"],
  summary: "Ingest a table or collection now: read, embed and store it, and return a summary",
  request: { body: { required: true, content: { "application/json": { schema: IngestRequestSchema } } } },
  responses: {
    200: { description: "Ingested", content: { "application/json": { schema: IngestSummarySchema } } },
    ...errorResponses,
    ...sourceNotFoundResponse,
    409: errorResponse("The store holds vectors of another embedding model"),
    413: errorResponse("Too many rows for one request (use /ingest-data-async), or the body is over MAX_BODY_BYTES"),
    415: bodyErrorResponses[415],
  },
});

export function createIngestApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { access: "admin" });

  app.openapi(ingestRoute, async (c) => {
    const body = c.req.valid("json");
    const context = c.var.context.requireVectors();
    const request = toIngestRequest(body);
    const summary = await ingestTable(context, request, { signal: c.req.raw.signal });
    await recordSyncSpec(c.var.context, request);
    return c.json(summary, 200);
  });

  return app;
}

export const app = createIngestApp(defaultContext);
export const handler = handle(app);
