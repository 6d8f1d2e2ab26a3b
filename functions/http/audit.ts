import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { auditTable } from "../../core/sync/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { bodyErrorResponses, ErrorSchema, errorResponses } from "./shared/schemas.js";
import { AuditReportSchema, sampleSizeBody, sampleSizeQuery, sourceParams, tableQuery } from "./shared/sync-schemas.js";

const report = { description: "Drift found", content: { "application/json": { schema: AuditReportSchema } } };
const notFound = { description: "Unknown source or table", content: { "application/json": { schema: ErrorSchema } } };

const auditRoute = createRoute({
  method: "get",
  path: "/audit/{source}",
  tags: ["sync"],
  summary: "Compare a table with the store id by id: missing, extra and stale ids (counts and a sample)",
  request: { params: sourceParams, query: tableQuery.extend({ sample: sampleSizeQuery }) },
  responses: { 200: report, 404: notFound, ...errorResponses },
});

const repairRoute = createRoute({
  method: "post",
  path: "/audit/{source}/repair",
  tags: ["sync"],
  summary: "Audit a table and fix exactly what is found: embed missing and stale rows, delete extra ids",
  request: {
    params: sourceParams,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ table: tableQuery.shape.table, sample: sampleSizeBody }).strict().openapi("RepairRequest"),
        },
      },
    },
  },
  responses: {
    200: { ...report, description: "Drift found and repaired" },
    ...errorResponses,
    ...bodyErrorResponses,
    404: notFound,
    409: { description: "A sync of this table is running", content: { "application/json": { schema: ErrorSchema } } },
  },
});

export function createAuditApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { access: "admin" });

  app.openapi(auditRoute, async (c) => {
    const { source } = c.req.valid("param");
    const { table, sample } = c.req.valid("query");
    return c.json(await auditTable(c.var.context.requireVectors(), { source, table, sampleSize: sample }), 200);
  });

  app.openapi(repairRoute, async (c) => {
    const { source } = c.req.valid("param");
    const { table, sample } = c.req.valid("json");
    const repaired = await auditTable(c.var.context.requireVectors(), {
      source,
      table,
      repair: true,
      sampleSize: sample,
    });
    return c.json(repaired, 200);
  });

  return app;
}

export const app = createAuditApp(defaultContext);
export const handler = handle(app);
