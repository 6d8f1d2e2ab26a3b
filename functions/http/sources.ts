import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { sourcesCapability } from "../../core/context/index.js";
import { describeSchema } from "../../core/sources/index.js";
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { bodyErrorResponses, errorResponses, sourceNotFoundResponse } from "./shared/schemas.js";
import { SchemaRequestSchema, SchemaResponseSchema } from "./shared/source-schemas.js";

const SourcesSchema = z
  .object({
    sources: z.array(z.object({ name: z.string(), kind: z.string(), description: z.string().optional() })),
    inline_connections: z.boolean().openapi({ description: "Whether requests may carry connection_params" }),
  })
  .openapi("Sources");

const listRoute = createRoute({
  method: "get",
  path: "/sources",
  tags: ["sources"],
  summary: "The configured sources: names and kinds, never connection settings",
  responses: {
    200: { description: "Configured sources", content: { "application/json": { schema: SourcesSchema } } },
    ...errorResponses,
  },
});

const schemaRoute = createRoute({
  method: "post",
  path: "/schema",
  tags: ["sources"],
  summary: "Tables of a source, or one table's columns, types and primary key",
  request: { body: { required: true, content: { "application/json": { schema: SchemaRequestSchema } } } },
  responses: {
    200: { description: "Schema", content: { "application/json": { schema: SchemaResponseSchema } } },
    ...errorResponses,
    ...bodyErrorResponses,
    ...sourceNotFoundResponse,
  },
});

/** What this function uses; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities({ sources: sourcesCapability });

export function createSourcesApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities, access: "admin" });

  app.openapi(listRoute, (c) =>
    c.json(
      { sources: c.var.context.sources.list(), inline_connections: c.var.context.settings.ALLOW_INLINE_CONNECTIONS },
      200,
    ),
  );

  app.openapi(schemaRoute, async (c) => {
    const body = c.req.valid("json");
    const result = await describeSchema(c.var.context, { ...body, table: body.table_or_collection });
    return c.json(result, 200);
  });

  return app;
}

export const app = createSourcesApp(contextWith(capabilities));
export const handler = handle(app);
