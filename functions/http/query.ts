import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { querySpecSchema, runQuery } from "../../core/query/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { bodyErrorResponses, ErrorSchema, errorResponses } from "./shared/schemas.js";

// No example object here: test generators would take it over the real sources they are given.
const QueryRequestSchema = querySpecSchema.openapi("QuerySpec", {
  description:
    "A structured query: filters, optional grouping and aggregates, order and limit (at most 1000 rows). " +
    "Names are checked against the table's schema; only tables in the source's query_tables (default: ingested tables) are open. " +
    'E.g. {"source": "samples", "table": "products.csv", "filters": [{"column": "name", "op": "contains", "value": "standing desk"}], ' +
    '"columns": ["name", "price"], "order_by": [{"key": "price"}], "limit": 1}',
});

const valueTypes = ["number", "text", "date", "boolean", "other"] as const;
const QueryResultSchema = z
  .object({
    spec: z.record(z.string(), z.unknown()).openapi({ description: "The spec that ran, defaults filled in" }),
    columns: z.array(z.object({ name: z.string(), type: z.enum(valueTypes) })),
    rows: z.array(z.record(z.string(), z.unknown())).openapi({
      description:
        "Numbers as JSON numbers (sum and avg rounded to 6 decimals), dates as ISO 8601 UTC instants, null for missing",
    }),
    truncated: z.boolean().openapi({ description: "More rows matched than the limit" }),
    execution: z
      .enum(["postgresql_sql", "mongodb_find", "mongodb_pipeline", "mongodb_find_in_code", "streamed_in_code"])
      .openapi({
        description: "How the source ran it: natively, or in code over streamed rows where the engine lacks it",
      }),
  })
  .openapi("QueryResult");

const error = (description: string) => ({ description, content: { "application/json": { schema: ErrorSchema } } });

const queryRoute = createRoute({
  method: "post",
  path: "/query",
  tags: ["query"],
  summary: "Run a structured query on a source without a model (admin or the `query` scope)",
  request: { body: { required: true, content: { "application/json": { schema: QueryRequestSchema } } } },
  responses: {
    200: { description: "The rows", content: { "application/json": { schema: QueryResultSchema } } },
    ...errorResponses,
    ...bodyErrorResponses,
    400: error("Invalid spec, unknown column, or a table not open to queries"),
    401: error("API keys are configured and none (or an invalid one) was given"),
    403: error("The key lacks the `query` scope"),
    404: error("Unknown source"),
    429: error("The key's rate limit is spent"),
    502: error("The source refused the configured credentials"),
    503: error("The source or Redis is unavailable"),
    504: error("The query ran past QUERY_TIMEOUT_MS and was cancelled"),
  },
});

export function createQueryApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { access: "query" });

  app.openapi(queryRoute, async (c) => {
    const result = await runQuery(c.var.context, c.req.valid("json"));
    return c.json(result, 200);
  });

  return app;
}

export const app = createQueryApp(defaultContext);
export const handler = handle(app);
