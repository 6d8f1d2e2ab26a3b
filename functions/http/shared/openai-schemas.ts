import { z } from "@hono/zod-openapi";
import type { ConversationTurn } from "../../../core/chat/index.js";
import { ChatToolCallSchema, SourceSchema, userName } from "./chat-schemas.js";
import type { ErrorBody } from "./errors.js";
import { HttpError } from "./errors.js";
import { ChatQueryResultSchema } from "./query-schemas.js";

// Messages and content parts are open: fields a client sends in them (name, tool_calls…) are dropped, not refused.
const ContentPartSchema = z
  .object({ type: z.string().max(64), text: z.string().max(100_000).optional() })
  .openapi({ description: "Only `text` parts are read; others (images, audio) are ignored" });

const MessageSchema = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z
    .union([z.string().max(100_000), z.array(ContentPartSchema).max(100), z.null()])
    .optional()
    .openapi({ description: "Text, or text parts" }),
});

/** OpenAI's chat-completions parameters this service does not use: clients send them, so they are taken and ignored. */
const ignoredParameterNames = [
  "audio",
  "frequency_penalty",
  "function_call",
  "functions",
  "logit_bias",
  "logprobs",
  "max_completion_tokens",
  "max_tokens",
  "metadata",
  "modalities",
  "n",
  "parallel_tool_calls",
  "prediction",
  "presence_penalty",
  "prompt_cache_key",
  "reasoning_effort",
  "response_format",
  "safety_identifier",
  "seed",
  "service_tier",
  "stop",
  "store",
  "stream_options",
  "temperature",
  "tool_choice",
  "tools",
  "top_logprobs",
  "top_p",
  "verbosity",
  "web_search_options",
] as const;
const ignoredParameters = Object.fromEntries(
  ignoredParameterNames.map((name) => [name, z.unknown().optional().openapi({ description: "Accepted, ignored" })]),
) as Record<(typeof ignoredParameterNames)[number], z.ZodOptional<z.ZodUnknown>>;

export const ChatCompletionRequestSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .max(128)
      .openapi({ description: "`data:all`, or `data:<source>` for one source (GET /v1/models)", example: "data:all" }),
    messages: z.array(MessageSchema).min(1).max(500).openapi({
      description:
        "The conversation, oldest first: the last must be the user's question (at most 4,000 characters); earlier user and assistant turns are the history. System, developer and tool messages are not read: the service keeps its own instructions.",
    }),
    stream: z.boolean().default(false),
    user: userName.optional().openapi({
      description:
        "Saves the exchange to this user's chat history (GET /chat/history/{user_name}); omitted, nothing is saved",
    }),
    max_results: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(5)
      .openapi({ description: "Extension: how many rows to retrieve as evidence" }),
    ...ignoredParameters,
  })
  .strict()
  .openapi("ChatCompletionRequest", {
    description:
      "OpenAI's other documented parameters (temperature, max_tokens, tools, …) are accepted and ignored; any other field is refused by name, so a misspelt one is not silently dropped",
  });

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

/**
 * Extensions beside `sources`: the service's own tool calls (search, query), already run. Not
 * `choices[].message.tool_calls`, which would ask the client to run them.
 */
const answerExtensions = {
  queries: z
    .array(ChatQueryResultSchema)
    .openapi({ description: "Extension: the queries the model ran, cited in the answer as [Q1], [Q2]…" }),
  tool_calls: z
    .array(ChatToolCallSchema)
    .openapi({ description: "Extension: the tool calls the service ran for the answer (not for the client to run)" }),
};

export const ChatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({ role: z.literal("assistant"), content: z.string(), refusal: z.null() }),
        finish_reason: z.literal("stop"),
        logprobs: z.null(),
      }),
    ),
    sources: z.array(SourceSchema).openapi({ description: "Extension: the rows cited in the answer as [n]" }),
    ...answerExtensions,
  })
  .openapi("ChatCompletion");

export const ModelSchema = z
  .object({ id: z.string(), object: z.literal("model"), created: z.number().int(), owned_by: z.string() })
  .openapi("Model");

export const ModelListSchema = z.object({ object: z.literal("list"), data: z.array(ModelSchema) }).openapi("ModelList");

export const OpenAiErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string().openapi({ example: "invalid_request_error" }),
      param: z.string().nullable(),
      code: z.string().nullable().openapi({ example: "model_not_found" }),
    }),
  })
  .openapi("OpenAiError");

const errorContent = { "application/json": { schema: OpenAiErrorSchema } };

/**
 * One event of a streamed completion, as a checker reads it (`data:` parsed as JSON): a
 * chat.completion.chunk (the last one with `finish_reason` and the `sources`), an error object if the
 * answer fails midway, then the text `[DONE]`.
 */
export const ChatCompletionChunkEventSchema = z
  .union([
    z
      .object({
        data: z.object({
          id: z.string(),
          object: z.literal("chat.completion.chunk"),
          created: z.number().int(),
          model: z.string(),
          choices: z
            .array(
              z.object({
                index: z.number().int(),
                delta: z.object({ role: z.literal("assistant").optional(), content: z.string().optional() }),
                finish_reason: z.enum(["stop"]).nullable(),
                logprobs: z.null(),
              }),
            )
            .length(1),
          sources: z
            .array(SourceSchema)
            .optional()
            .openapi({ description: "On the final chunk: the rows cited as [n]" }),
          queries: answerExtensions.queries.optional(),
          tool_calls: answerExtensions.tool_calls.optional(),
        }),
      })
      .strict(),
    z.object({ data: OpenAiErrorSchema }).strict(),
    z.object({ data: z.literal("[DONE]") }).strict(),
  ])
  .openapi("ChatCompletionChunkEvent", {
    description: "One Server-Sent Event of a streamed completion: `data` is its `data:` line read as JSON",
  });

/** Every error status of the OpenAI-compatible routes, in OpenAI's error format. */
export const openAiErrorResponses = {
  400: { description: "Invalid request", content: errorContent },
  401: { description: "No valid API key", content: errorContent },
  403: { description: "The key may not do this", content: errorContent },
  404: { description: "No such model", content: errorContent },
  413: { description: "The body is too large", content: errorContent },
  415: { description: "The body is not sent as application/json", content: errorContent },
  429: { description: "The key's rate limit is reached", content: errorContent },
  500: { description: "Internal error", content: errorContent },
} as const;

export const openAiUpstreamErrors = {
  502: { description: "The LLM provider failed", content: errorContent },
  503: { description: "A component or the LLM provider is unavailable", content: errorContent },
  504: { description: "The LLM provider timed out", content: errorContent },
} as const;

function errorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** The parameter an error is about: a failed field's path, or one the handler named. */
function paramOf(details: unknown): string | null {
  const parsed = z
    .union([z.array(z.object({ path: z.string() })).min(1), z.object({ param: z.string() })])
    .safeParse(details);
  if (!parsed.success) return null;
  const param = Array.isArray(parsed.data) ? parsed.data[0]?.path : parsed.data.param;
  return param || null;
}

/** The service's error envelope as OpenAI states errors: the same code and message, plus type and param. */
export function openAiError(status: number, body: ErrorBody) {
  return {
    error: {
      message: body.error.message,
      type: errorType(status),
      param: paramOf(body.error.details),
      code: body.error.code,
    },
  };
}

function textOf(content: z.infer<typeof MessageSchema>["content"]): string {
  if (typeof content === "string") return content;
  return (content ?? [])
    .filter((part) => part.type === "text" && typeof part.text === "string")
    .map((part) => part.text)
    .join("\n");
}

/**
 * The question (the last message, the user's) and the history before it. System, developer and
 * tool messages are dropped: the service's own instructions frame the answer.
 */
export function conversationOf(messages: ChatCompletionRequest["messages"]): {
  question: string;
  history: ConversationTurn[];
} {
  const last = messages.at(-1);
  const question = last ? textOf(last.content).trim() : "";
  if (last?.role !== "user" || !question) {
    throw new HttpError(400, "invalid_messages", "the last message must be the user's question, with text", {
      param: "messages",
    });
  }
  if (question.length > 4_000) {
    throw new HttpError(400, "invalid_messages", "the question (the last message) is limited to 4000 characters", {
      param: "messages",
    });
  }
  const history = messages.slice(0, -1).flatMap((message): ConversationTurn[] => {
    const text = textOf(message.content).trim();
    return (message.role === "user" || message.role === "assistant") && text
      ? [{ role: message.role, content: text }]
      : [];
  });
  return { question, history };
}
