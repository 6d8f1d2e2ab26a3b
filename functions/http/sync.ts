import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { queueSync, readSyncState, syncTable } from "../../core/sync/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { bodyErrorResponses, ErrorSchema, errorResponses } from "./shared/schemas.js";
import {
  SyncRequestSchema,
  SyncStateSchema,
  SyncSummarySchema,
  sourceParams,
  tableQuery,
} from "./shared/sync-schemas.js";

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const syncRoute = createRoute({
  method: "post",
  path: "/sync/{source}",
  tags: ["sync"],
  summary: "Bring the store in line with a table: changed rows since the watermark, deletes, metadata-only updates",
  description:
    "Only rows changed since the watermark are read; a row is embedded again only when its text changed. " +
    "The fields default to the table's last ingestion or sync; what a request gives is remembered.",
  request: {
    params: sourceParams,
    body: { required: true, content: { "application/json": { schema: SyncRequestSchema } } },
  },
  responses: {
    200: json(SyncSummarySchema, "Synced"),
    202: json(z.object({ sync_id: z.string(), status: z.literal("queued") }), "Queued on Kafka"),
    ...errorResponses,
    ...bodyErrorResponses,
    404: json(ErrorSchema, "Unknown source or table"),
    409: json(ErrorSchema, "A sync of this table is running, or the store holds another embedding model's vectors"),
    413: json(
      ErrorSchema,
      "Too many changed rows for one request (send async: true), or the body is over MAX_BODY_BYTES",
    ),
  },
});

const stateRoute = createRoute({
  method: "get",
  path: "/sync/{source}",
  tags: ["sync"],
  summary: "A table's sync state: its spec, watermark and last run",
  request: { params: sourceParams, query: tableQuery },
  responses: {
    200: json(SyncStateSchema, "Sync state"),
    ...errorResponses,
    404: json(ErrorSchema, "Unknown source, or nothing recorded for the table"),
  },
});

export function createSyncApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { access: "admin" });

  app.openapi(syncRoute, async (c) => {
    const { source } = c.req.valid("param");
    const body = c.req.valid("json");
    const request = {
      source,
      table: body.table,
      detectDeletes: body.detect_deletes,
      spec: {
        text_fields: body.text_fields,
        fields: body.columns_or_fields,
        filters: body.filters,
        watermark_column: body.watermark_column,
        include: body.include,
      },
    };
    if (body.async) return c.json(await queueSync(c.var.context, request), 202);
    return c.json(await syncTable(c.var.context.requireVectors(), request, { signal: c.req.raw.signal }), 200);
  });

  app.openapi(stateRoute, async (c) => {
    const { source } = c.req.valid("param");
    const { table } = c.req.valid("query");
    return c.json(await readSyncState(c.var.context, source, table), 200);
  });

  return app;
}

export const app = createSyncApp(defaultContext);
export const handler = handle(app);
