import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { streamSSE } from "hono/streaming";
import {
  answer,
  type ChatRequest,
  clearHistory,
  prepareChat,
  readHistory,
  userNamePattern,
} from "../../core/chat/index.js";
import { metadataFiltersSchema } from "../../core/vectors/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { mapError } from "./shared/errors.js";
import { ErrorSchema, errorResponses } from "./shared/schemas.js";

/** The same rule as core's userNameSchema, restated with the OpenAPI-aware zod so it is documented. */
const userName = z
  .string()
  .min(1)
  .max(64)
  .regex(userNamePattern, "user names are 1–64 characters of A–Z, a–z, 0–9, '.', '_', '@', '-'")
  .openapi({ example: "ada" });

/** The seed's chat body, plus `filters` and `provider`. */
const ChatRequestSchema = z
  .object({
    user_name: userName,
    message: z
      .string()
      .trim()
      .min(1)
      .max(4_000)
      .openapi({ example: "Which backpack is waterproof, and what does it cost?" }),
    max_results: z.number().int().min(1).max(20).default(5),
    include_history: z.boolean().default(true),
    filters: metadataFiltersSchema.optional().openapi({
      description: "Metadata equality or {$in: [...]}; `source` picks sources",
      example: { source: "samples" },
    }),
    provider: z
      .string()
      .min(1)
      .max(32)
      .optional()
      .openapi({ description: "A configured provider; see GET /api/llm/providers" }),
  })
  .openapi("ChatRequest");

const SourceSchema = z
  .object({
    n: z.number().int().openapi({ description: "The citation number used in the answer, as [n]" }),
    content: z.string(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    relevance_score: z.number().openapi({ description: "Cosine similarity in [-1, 1]" }),
  })
  .openapi("ChatSource");

const ChatAnswerSchema = z
  .object({
    response: z.string(),
    sources: z.array(SourceSchema),
    user_name: z.string(),
    provider: z.string(),
    timestamp: z.string().openapi({ description: "ISO 8601 with zone", example: "2026-01-01T12:00:00.000Z" }),
  })
  .openapi("ChatAnswer");

const HistorySchema = z
  .object({
    user_name: z.string(),
    messages: z.array(
      z.object({
        index: z.number().int().openapi({ description: "Grows with every message; pass as `before` to page back" }),
        role: z.enum(["user", "assistant"]),
        content: z.string(),
        timestamp: z.string(),
        provider: z.string().optional(),
      }),
    ),
    next_before: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "`before` for the next older page; null on the oldest" }),
  })
  .openapi("ChatHistory");

const chatBody = { body: { required: true, content: { "application/json": { schema: ChatRequestSchema } } } };
const upstreamErrors = {
  502: { description: "The LLM provider failed", content: { "application/json": { schema: ErrorSchema } } },
  503: {
    description: "A component or the LLM provider is unavailable",
    content: { "application/json": { schema: ErrorSchema } },
  },
  504: { description: "The LLM provider timed out", content: { "application/json": { schema: ErrorSchema } } },
} as const;

const chatRoute = createRoute({
  method: "post",
  path: "/chat",
  tags: ["chat"],
  summary: "Answer a question from the stored data, citing sources as [n]",
  request: chatBody,
  responses: {
    200: { description: "The answer and its sources", content: { "application/json": { schema: ChatAnswerSchema } } },
    ...errorResponses,
    ...upstreamErrors,
  },
});

const chatStreamRoute = createRoute({
  method: "post",
  path: "/chat/stream",
  tags: ["chat"],
  summary: "The same answer as Server-Sent Events: sources, content deltas, done (or error), then [DONE]",
  request: chatBody,
  responses: {
    200: {
      description:
        "Events `sources` ({type, sources}), `content` ({type, delta}), `done` ({type, response, timings}), `error` ({type, error}); then `data: [DONE]`",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...errorResponses,
    ...upstreamErrors,
  },
});

const historyParams = z.object({ user_name: userName.openapi({ param: { name: "user_name", in: "path" } }) });

const historyRoute = createRoute({
  method: "get",
  path: "/chat/history/{user_name}",
  tags: ["chat"],
  summary: "A user's history, a page at a time, oldest first within the page",
  request: {
    params: historyParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      before: z.coerce.number().int().min(0).optional().openapi({ description: "Only messages with a smaller index" }),
    }),
  },
  responses: {
    200: { description: "A page of history", content: { "application/json": { schema: HistorySchema } } },
    ...errorResponses,
  },
});

const clearHistoryRoute = createRoute({
  method: "delete",
  path: "/chat/history/{user_name}",
  tags: ["chat"],
  summary: "Delete a user's history",
  request: { params: historyParams },
  responses: {
    200: {
      description: "Deleted (or there was none)",
      content: { "application/json": { schema: z.object({ user_name: z.string(), deleted: z.boolean() }) } },
    },
    ...errorResponses,
  },
});

function chatRequest(body: z.infer<typeof ChatRequestSchema>): ChatRequest {
  return {
    userName: body.user_name,
    message: body.message,
    maxResults: body.max_results,
    includeHistory: body.include_history,
    filters: body.filters,
    provider: body.provider,
  };
}

export function createChatApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext);

  app.openapi(chatRoute, async (c) => {
    const result = await answer(c.var.context, chatRequest(c.req.valid("json")), c.req.raw.signal);
    return c.json(
      {
        response: result.response,
        sources: result.sources,
        user_name: result.userName,
        provider: result.provider,
        timestamp: result.timestamp,
      },
      200,
    );
  });

  app.openapi(chatStreamRoute, async (c) => {
    // Retrieval and the provider check run before the stream opens, so their failures get real statuses.
    const chat = await prepareChat(c.var.context, chatRequest(c.req.valid("json")));
    const logger = c.var.logger;
    const controller = new AbortController();
    const abort = () => controller.abort(new Error("the client disconnected"));
    c.req.raw.signal.addEventListener("abort", abort, { once: true });
    return streamSSE(c, async (stream) => {
      stream.onAbort(abort);
      const send = <Event extends { type: string }>(event: Event) =>
        stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
      await send({ type: "sources", sources: chat.sources });
      try {
        for await (const event of chat.stream(controller.signal)) await send(event);
      } catch (error) {
        if (controller.signal.aborted) return; // Nobody is listening; the model call is already cancelled.
        const mapped = mapError(error);
        if (mapped.status >= 500) logger.error({ err: error, route: "/chat/stream" }, "chat stream failed");
        await send({ type: "error", error: { code: mapped.body.error.code, message: mapped.body.error.message } });
      }
      await stream.writeSSE({ data: "[DONE]" });
    });
  });

  app.openapi(historyRoute, async (c) => {
    const { user_name } = c.req.valid("param");
    const query = c.req.valid("query");
    const page = await readHistory(c.var.context, user_name, { limit: query.limit, before: query.before });
    return c.json({ user_name, messages: page.messages, next_before: page.nextBefore ?? null }, 200);
  });

  app.openapi(clearHistoryRoute, async (c) => {
    const { user_name } = c.req.valid("param");
    const deleted = await clearHistory(c.var.context, user_name);
    return c.json({ user_name, deleted }, 200);
  });

  return app;
}

export const app = createChatApp(defaultContext);
export const handler = handle(app);
