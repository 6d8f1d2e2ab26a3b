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

/** A documented error answer: every error has the one envelope. */
export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/**
 * The error responses every non-public route can give, for its OpenAPI entry: the security
 * middleware's (401, 403, 429), a component down (503) and the two every handler has.
 */
export const errorResponses = {
  400: errorResponse("Invalid request: the message and `details` name each problem"),
  401: errorResponse("API keys are configured and the request has none, or an unknown one"),
  403: errorResponse("The key lacks this route's scope, or the request is not allowed on this server"),
  429: errorResponse("The key's rate limit is spent; Retry-After says when to try again"),
  500: errorResponse("Internal error"),
  503: errorResponse("A component is unavailable (details.component); Retry-After says when to try again"),
} as const;

/** What a route with a JSON body adds: the body limit and the media type. */
export const bodyErrorResponses = {
  413: errorResponse("The body is over the server's MAX_BODY_BYTES"),
  415: errorResponse("The body is not sent as application/json"),
} as const;

/** Routes that name a source: it must be configured (GET /sources), and so must its table. */
export const sourceNotFoundResponse = {
  404: errorResponse("Unknown source (GET /sources), or the source has no such table or collection"),
} as const;
