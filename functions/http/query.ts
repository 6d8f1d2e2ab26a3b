import { createRoute } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { sourcesCapability } from "../../core/context/index.js";
import { querySpecSchema, runQuery } from "../../core/query/index.js";
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { QueryResultSchema } from "./shared/query-schemas.js";
import { bodyErrorResponses, ErrorSchema, errorResponses } from "./shared/schemas.js";

// No example object here: test generators would take it over the real sources they are given.
// A copy made here: core may build its schema before @hono/zod-openapi adds `.openapi` to new schemas.
const QueryRequestSchema = querySpecSchema.clone().openapi("QuerySpec", {
  description:
    "A structured query: filters, optional grouping and aggregates, order and limit (at most 1000 rows). " +
    "Names are checked against the table's schema; only tables in the source's query_tables (default: ingested tables) are open. " +
    'E.g. {"source": "samples", "table": "products.csv", "filters": [{"column": "name", "op": "contains", "value": "standing desk"}], ' +
    '"columns": ["name", "price"], "order_by": [{"key": "price"}], "limit": 1}',
});

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

/** What this function uses; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities({ sources: sourcesCapability });

export function createQueryApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities, access: "query" });

  app.openapi(queryRoute, async (c) => {
    const result = await runQuery(c.var.context, c.req.valid("json"));
    return c.json(result, 200);
  });

  return app;
}

export const app = createQueryApp(contextWith(capabilities));
export const handler = handle(app);
