import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_error" }),
      message: z.string().openapi({ example: "Invalid request: max_results: Too big" }),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

/** The error responses every route can give, for its OpenAPI entry. */
export const errorResponses = {
  400: { description: "Invalid request", content: { "application/json": { schema: ErrorSchema } } },
  500: { description: "Internal error", content: { "application/json": { schema: ErrorSchema } } },
} as const;
