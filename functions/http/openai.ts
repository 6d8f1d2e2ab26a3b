import { randomUUID } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { streamSSE } from "hono/streaming";
import { requireUser } from "../../core/auth/index.js";
import { type ChatRequest, type ChatSource, type ChatToolCall, prepareChat } from "../../core/chat/index.js";
import type { AppContext } from "../../core/context/index.js";
import type { MetadataFilters } from "../../core/vectors/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import { HttpError, mapError } from "./shared/errors.js";
import { streamingHandler } from "./shared/lambda-stream.js";
import {
  ChatCompletionChunkEventSchema,
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  ChatCompletionSchema,
  conversationOf,
  ModelListSchema,
  ModelSchema,
  openAiError,
  openAiErrorResponses,
  openAiUpstreamErrors,
} from "./shared/openai-schemas.js";

const allSources = "data:all";
const sourcePrefix = "data:";
const created = Math.floor(Date.now() / 1000);

const completionsRoute = createRoute({
  method: "post",
  path: "/v1/chat/completions",
  tags: ["openai"],
  summary: "OpenAI-compatible chat completion over the data: plain, or streamed as chunks ending `data: [DONE]`",
  description:
    "Point an OpenAI client's base URL at `<service>/v1`. The answer cites rows as [n]; the rows are in `sources` " +
    "(on the response, or on the final chunk when streaming). Errors use OpenAI's format. See docs/openai.md.",
  request: { body: { required: true, content: { "application/json": { schema: ChatCompletionRequestSchema } } } },
  responses: {
    200: {
      description: "The completion; with `stream: true`, chat.completion.chunk events, then `data: [DONE]`",
      content: {
        "application/json": { schema: ChatCompletionSchema },
        "text/event-stream": { schema: ChatCompletionChunkEventSchema },
      },
    },
    ...openAiErrorResponses,
    ...openAiUpstreamErrors,
  },
});

const modelsRoute = createRoute({
  method: "get",
  path: "/v1/models",
  tags: ["openai"],
  summary: "The models: `data:all` (every source) and `data:<source>` for each configured source",
  responses: {
    200: { description: "Models", content: { "application/json": { schema: ModelListSchema } } },
    ...openAiErrorResponses,
  },
});

const modelRoute = createRoute({
  method: "get",
  path: "/v1/models/{model}",
  tags: ["openai"],
  summary: "One model",
  request: {
    params: z.object({
      model: z
        .string()
        .min(1)
        .max(128)
        .openapi({ param: { name: "model", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "The model", content: { "application/json": { schema: ModelSchema } } },
    ...openAiErrorResponses,
  },
});

function models(context: AppContext): string[] {
  return [allSources, ...context.sources.list().map((source) => `${sourcePrefix}${source.name}`)];
}

/** The metadata filter a model stands for; an unknown model is a 404, as OpenAI answers it. */
function filtersFor(context: AppContext, model: string): MetadataFilters | undefined {
  if (!models(context).includes(model)) {
    throw new HttpError(404, "model_not_found", `The model '${model}' does not exist; GET /v1/models lists them`, {
      param: "model",
    });
  }
  return model === allSources ? undefined : { source: model.slice(sourcePrefix.length) };
}

function chatRequestOf(context: AppContext, body: ChatCompletionRequest): ChatRequest {
  const filters = filtersFor(context, body.model);
  const { question, history } = conversationOf(body.messages);
  return {
    userName: body.user,
    message: question,
    maxResults: body.max_results,
    includeHistory: false,
    history,
    filters,
  };
}

/** A row found by two searches appears once, under its one number. */
function uniqueByNumber(sources: readonly ChatSource[]): ChatSource[] {
  return [...new Map(sources.map((source) => [source.n, source])).values()].sort((a, b) => a.n - b.n);
}

const modelEntry = (id: string) => ({ id, object: "model" as const, created, owned_by: "chat-with-your-data" });

/**
 * The OpenAI chat-completions API over core chat, so chat front ends and OpenAI SDKs talk to the
 * data: same retrieval, citations, keys and limits as /chat and /chat/stream. Deployed twice: behind
 * the HTTP API (a stream arrives whole there) and on a streaming function URL.
 */
export function createOpenAiApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { renderError: openAiError });

  app.openapi(completionsRoute, async (c) => {
    const body = c.req.valid("json");
    if (body.user !== undefined) requireUser(c.var.apiKey, body.user);
    // Retrieval and the provider check run before any stream opens, so their failures get real statuses.
    const chat = await prepareChat(c.var.context, chatRequestOf(c.var.context, body));
    const id = `chatcmpl-${randomUUID()}`;
    const base = { id, created: Math.floor(Date.now() / 1000), model: body.model };
    if (!body.stream) {
      const result = await chat.generate(c.req.raw.signal);
      return c.json(
        {
          ...base,
          object: "chat.completion" as const,
          choices: [
            {
              index: 0,
              message: { role: "assistant" as const, content: result.response, refusal: null },
              finish_reason: "stop" as const,
              logprobs: null,
            },
          ],
          sources: result.sources,
          queries: result.queries,
          tool_calls: result.toolCalls,
        },
        200,
      );
    }
    const logger = c.var.logger;
    const controller = new AbortController();
    const abort = () => controller.abort(new Error("the client disconnected"));
    c.req.raw.signal.addEventListener("abort", abort, { once: true });
    const chunk = (delta: Record<string, string>, finish: "stop" | null, extra: Record<string, unknown> = {}) => ({
      ...base,
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...extra,
    });
    return streamSSE(c, async (stream) => {
      stream.onAbort(abort);
      const send = (data: unknown) => stream.writeSSE({ data: JSON.stringify(data) });
      await send(chunk({ role: "assistant", content: "" }, null));
      try {
        // The OpenAI format has no event for the service's own tool calls: they come with the last chunk.
        const calls: ChatToolCall[] = [];
        let found: ChatSource[] = [];
        for await (const event of chat.stream(controller.signal)) {
          if (event.type === "content") await send(chunk({ content: event.delta }, null));
          if (event.type === "tool_result") {
            const { type: _type, ...call } = event;
            calls.push(call);
            if (call.result && "sources" in call.result) found = [...found, ...call.result.sources];
          }
        }
        const sources = [...chat.sources, ...found.filter((source) => source.n > chat.sources.length)];
        const queries = calls.flatMap((call) => (call.result && "label" in call.result ? [call.result] : []));
        await send(chunk({}, "stop", { sources: uniqueByNumber(sources), queries, tool_calls: calls }));
      } catch (error) {
        if (controller.signal.aborted) return; // Nobody is listening; the model call is already cancelled.
        const mapped = mapError(error);
        if (mapped.status >= 500)
          logger.error({ err: error, route: "/v1/chat/completions" }, "completion stream failed");
        await send(openAiError(mapped.status, mapped.body));
      }
      await stream.writeSSE({ data: "[DONE]" });
    });
  });

  app.openapi(modelsRoute, (c) =>
    c.json({ object: "list" as const, data: models(c.var.context).map(modelEntry) }, 200),
  );

  app.openapi(modelRoute, (c) => {
    const { model } = c.req.valid("param");
    filtersFor(c.var.context, model);
    return c.json(modelEntry(model), 200);
  });

  return app;
}

export const app = createOpenAiApp(defaultContext);
export const handler = handle(app);
/** For a function URL in RESPONSE_STREAM mode, where chunks reach the client as the model writes them. */
export const streamHandler = streamingHandler(app);
