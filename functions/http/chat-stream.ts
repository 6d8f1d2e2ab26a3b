import { createRoute } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { requireUser } from "../../core/auth/index.js";
import { prepareChat } from "../../core/chat/index.js";
import { defaultContext } from "../shared/default-context.js";
import { chatBody, chatRequest, upstreamErrors } from "./shared/chat-schemas.js";
import { ChatStreamEventSchema } from "./shared/chat-stream-schemas.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { mapError } from "./shared/errors.js";
import { streamingHandler } from "./shared/lambda-stream.js";
import { bodyErrorResponses, errorResponses } from "./shared/schemas.js";

const chatStreamRoute = createRoute({
  method: "post",
  path: "/chat/stream",
  tags: ["chat"],
  summary:
    "The same answer as Server-Sent Events: sources, tool calls and results, content deltas, done (or error), then [DONE]",
  request: chatBody,
  responses: {
    200: {
      description:
        "Events `sources`, then `tool_call`/`tool_result` pairs as the model calls tools, `content` deltas, then " +
        "`done` (or `error`), then `data: [DONE]`; the schema describes one event",
      content: { "text/event-stream": { schema: ChatStreamEventSchema } },
    },
    ...errorResponses,
    ...bodyErrorResponses,
    ...upstreamErrors,
  },
});

/**
 * Its own function because API gateways buffer whole responses: deployed behind a Lambda
 * function URL in RESPONSE_STREAM mode, so tokens reach the client as the model writes them.
 */
export function createChatStreamApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext);

  app.openapi(chatStreamRoute, async (c) => {
    // Retrieval and the provider check run before the stream opens, so their failures get real statuses.
    const body = c.req.valid("json");
    requireUser(c.var.apiKey, body.user_name);
    const chat = await prepareChat(c.var.context, chatRequest(body));
    const logger = c.var.logger;
    const controller = new AbortController();
    const abort = () => controller.abort(new Error("the client disconnected"));
    c.req.raw.signal.addEventListener("abort", abort, { once: true });
    return streamSSE(c, async (stream) => {
      stream.onAbort(abort);
      const send = <Event extends { type: string }>(event: Event) =>
        stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
      // The request's log line is written when the stream opens; this one marks its definite end
      // (nothing of the request runs after it), and how often clients walk away.
      let outcome = "done";
      try {
        await send({ type: "sources", sources: chat.sources });
        try {
          for await (const event of chat.stream(controller.signal)) await send(event);
        } catch (error) {
          if (controller.signal.aborted) {
            outcome = "client_disconnected"; // Nobody is listening; the model call is already cancelled.
            return;
          }
          outcome = "error";
          const mapped = mapError(error);
          if (mapped.status >= 500) logger.error({ err: error, route: "/chat/stream" }, "chat stream failed");
          await send({ type: "error", error: { code: mapped.body.error.code, message: mapped.body.error.message } });
        }
        await stream.writeSSE({ data: "[DONE]" });
      } finally {
        logger.info({ route: "/chat/stream", outcome }, "chat stream ended");
      }
    });
  });

  return app;
}

export const app = createChatStreamApp(defaultContext);
export const handler = streamingHandler(app);
