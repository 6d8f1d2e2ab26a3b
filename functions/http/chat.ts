import { createRoute } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { requireUser } from "../../core/auth/index.js";
import { answer } from "../../core/chat/index.js";
import { defaultContext } from "../shared/default-context.js";
import { ChatAnswerSchema, chatBody, chatRequest, upstreamErrors } from "./shared/chat-schemas.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { bodyErrorResponses, errorResponses } from "./shared/schemas.js";

const chatRoute = createRoute({
  method: "post",
  path: "/chat",
  tags: ["chat"],
  summary: "Answer a question from the stored data, citing sources as [n]",
  request: chatBody,
  responses: {
    200: { description: "The answer and its sources", content: { "application/json": { schema: ChatAnswerSchema } } },
    ...errorResponses,
    ...bodyErrorResponses,
    ...upstreamErrors,
  },
});

export function createChatApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext);

  app.openapi(chatRoute, async (c) => {
    const body = c.req.valid("json");
    requireUser(c.var.apiKey, body.user_name);
    const result = await answer(c.var.context, chatRequest(body), c.req.raw.signal);
    return c.json(
      {
        response: result.response,
        sources: result.sources,
        tool_calls: result.toolCalls,
        queries: result.queries,
        user_name: body.user_name,
        provider: result.provider,
        timestamp: result.timestamp,
        ...(result.warnings.length ? { warnings: result.warnings } : {}),
      },
      200,
    );
  });

  return app;
}

export const app = createChatApp(defaultContext);
export const handler = handle(app);
