import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { retrievalModes, search } from "../../core/search/index.js";
import { metadataFiltersSchema } from "../../core/vectors/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { bodyErrorResponses, errorResponses } from "./shared/schemas.js";
import { retrievalModeSchema, SearchMatchSchema } from "./shared/search-schemas.js";

const SearchRequestSchema = z
  .object({
    query: z.string().trim().min(1).max(2_000).openapi({ example: "a quiet keyboard for the office" }),
    max_results: z.number().int().min(1).max(50).default(5),
    filters: metadataFiltersSchema.optional().openapi({
      description:
        "Metadata equality or {$in: [...]} (at most 10 fields, names not starting with $); `source` picks sources",
      example: { source: "samples", category: "Electronics" },
    }),
    mode: retrievalModeSchema.optional(),
    group_by_row: z.boolean().default(true).openapi({
      description: "Collapse the chunks of one row into its best chunk, so n results are n rows",
    }),
  })
  .strict()
  .openapi("SearchRequest");

const SearchResultSchema = z
  .object({
    query: z.string(),
    mode: z.enum(retrievalModes).openapi({
      description:
        "The mode that answered: hybrid falls back to vector (with a warning) while the keyword index is down",
    }),
    results: z.array(SearchMatchSchema),
    warnings: z
      .array(z.string())
      .optional()
      .openapi({ description: "What degraded without failing the search, e.g. the keyword index being down" }),
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
    const outcome = await search(c.var.context, {
      query: body.query,
      maxResults: body.max_results,
      filters: body.filters,
      mode: body.mode,
      groupByRow: body.group_by_row,
    });
    return c.json(
      {
        query: body.query,
        mode: outcome.mode,
        results: outcome.results,
        ...(outcome.warnings.length ? { warnings: outcome.warnings } : {}),
      },
      200,
    );
  });

  return app;
}

export const app = createSearchApp(defaultContext);
export const handler = handle(app);
