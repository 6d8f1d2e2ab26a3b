import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { searchDocuments } from "../../core/search/index.js";
import { metadataFiltersSchema } from "../../core/vectors/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { bodyErrorResponses, errorResponses } from "./shared/schemas.js";

const SearchRequestSchema = z
  .object({
    query: z.string().trim().min(1).max(2_000).openapi({ example: "a quiet keyboard for the office" }),
    max_results: z.number().int().min(1).max(50).default(5),
    filters: metadataFiltersSchema.optional().openapi({
      description:
        "Metadata equality or {$in: [...]} (at most 10 fields, names not starting with $); `source` picks sources",
      example: { source: "samples", category: "Electronics" },
    }),
  })
  .strict()
  .openapi("SearchRequest");

const SearchResultSchema = z
  .object({
    query: z.string(),
    results: z.array(
      z.object({
        id: z.string(),
        content: z.string(),
        metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
        relevance_score: z.number().openapi({ description: "Cosine similarity in [-1, 1]" }),
      }),
    ),
  })
  .openapi("SearchResult");

const searchRoute = createRoute({
  method: "post",
  path: "/search",
  tags: ["search"],
  summary: "Retrieval only: the stored documents closest to a query, with scores",
  request: { body: { required: true, content: { "application/json": { schema: SearchRequestSchema } } } },
  responses: {
    200: { description: "Matches, best first", content: { "application/json": { schema: SearchResultSchema } } },
    ...errorResponses,
    ...bodyErrorResponses,
  },
});

export function createSearchApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext);

  app.openapi(searchRoute, async (c) => {
    const body = c.req.valid("json");
    const results = await searchDocuments(c.var.context, {
      query: body.query,
      maxResults: body.max_results,
      filters: body.filters,
    });
    return c.json({ query: body.query, results }, 200);
  });

  return app;
}

export const app = createSearchApp(defaultContext);
export const handler = handle(app);
