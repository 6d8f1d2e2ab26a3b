import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { ingestTable } from "../../core/ingest/index.js";
import { VectorStoreUnavailableError } from "../../core/vectors/index.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { defaultContext } from "./shared/default-context.js";
import { ErrorSchema, errorResponses } from "./shared/schemas.js";
import { fieldListSchema, filtersSchema, sourceReferenceFields } from "./shared/source-schemas.js";

/** The seed's ingestion body, plus `source`, `filters` and `max_rows`. */
export const IngestRequestSchema = z
  .object({
    ...sourceReferenceFields,
    table_or_collection: z.string().min(1).max(256).openapi({ example: "products.csv" }),
    columns_or_fields: fieldListSchema
      .optional()
      .openapi({ description: "Fields to keep; omitted: all", example: ["id", "name", "price"] }),
    text_fields: fieldListSchema
      .min(1)
      .openapi({ description: "Fields whose text is embedded", example: ["name", "description"] }),
    filters: filtersSchema.optional(),
    max_rows: z.number().int().positive().max(10_000_000).optional(),
  })
  .openapi("IngestRequest");

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
    413: { description: "Too many rows for one request", content: { "application/json": { schema: ErrorSchema } } },
    ...errorResponses,
  },
});

export function createIngestApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext);

  app.openapi(ingestRoute, async (c) => {
    const body = c.req.valid("json");
    const { vectors } = c.var.context;
    if (!vectors) throw new VectorStoreUnavailableError();
    const summary = await ingestTable(
      { ...c.var.context, vectors },
      {
        source: body.source,
        db_type: body.db_type,
        connection_params: body.connection_params,
        table: body.table_or_collection,
        fields: body.columns_or_fields,
        textFields: body.text_fields,
        filters: body.filters,
        maxRows: body.max_rows,
      },
      { signal: c.req.raw.signal },
    );
    return c.json(summary, 200);
  });

  return app;
}

export const app = createIngestApp(defaultContext);
export const handler = handle(app);
