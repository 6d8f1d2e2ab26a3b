import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { requireUser } from "../../core/auth/index.js";
import { clearHistory, readHistory } from "../../core/chat/index.js";
import { contextWith } from "../shared/default-context.js";
import { HistorySchema, userName } from "./shared/chat-schemas.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { errorResponses } from "./shared/schemas.js";

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

/** What this function uses: history lives in Redis alone, so it carries neither the model nor an LLM client. */
const capabilities = httpCapabilities({});

export function createHistoryApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities });

  app.openapi(historyRoute, async (c) => {
    const { user_name } = c.req.valid("param");
    requireUser(c.var.apiKey, user_name);
    const query = c.req.valid("query");
    const page = await readHistory(c.var.context, user_name, { limit: query.limit, before: query.before });
    return c.json({ user_name, messages: page.messages, next_before: page.nextBefore ?? null }, 200);
  });

  app.openapi(clearHistoryRoute, async (c) => {
    const { user_name } = c.req.valid("param");
    requireUser(c.var.apiKey, user_name);
    const deleted = await clearHistory(c.var.context, user_name);
    return c.json({ user_name, deleted }, 200);
  });

  return app;
}

export const app = createHistoryApp(contextWith(capabilities));
export const handler = handle(app);
