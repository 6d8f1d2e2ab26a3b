import { z } from "@hono/zod-openapi";
import { type ChatRequest, userNamePattern } from "../../../core/chat/index.js";
import { llmProviderNames } from "../../../core/config/index.js";
import { metadataFiltersSchema } from "../../../core/vectors/index.js";
import { ChatQueryResultSchema } from "./query-schemas.js";
import { ErrorSchema } from "./schemas.js";
import { matchExplanation, retrievalModeSchema } from "./search-schemas.js";

const optionalExplanation = Object.fromEntries(
  Object.entries(matchExplanation).map(([key, schema]) => [key, schema.optional()]),
) as { [K in keyof typeof matchExplanation]: z.ZodOptional<(typeof matchExplanation)[K]> };

/** The same rule as core's userNameSchema, restated with the OpenAPI-aware zod so it is documented. */
export const userName = z
  .string()
  .min(1)
  .max(64)
  .regex(userNamePattern, "user names are 1–64 characters of A–Z, a–z, 0–9, '.', '_', '@', '-'")
  .openapi({ example: "ada" });

/** The seed's chat body, plus `filters` and `provider`. */
export const ChatRequestSchema = z
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
      description:
        "Metadata equality or {$in: [...]} (at most 10 fields, names not starting with $); `source` picks sources",
      example: { source: "samples" },
    }),
    provider: z
      .enum(llmProviderNames, {
        error: (issue) =>
          `unknown LLM provider '${String(issue.input).slice(0, 40)}'; known: ${llmProviderNames.join(", ")}`,
      })
      .optional()
      .openapi({ description: "A configured provider; see GET /api/llm/providers" }),
    retrieval_mode: retrievalModeSchema.optional(),
  })
  .strict()
  .openapi("ChatRequest");

export const SourceSchema = z
  .object({
    n: z.number().int().openapi({ description: "The citation number used in the answer, as [n]" }),
    content: z.string(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    relevance_score: z.number().openapi({
      description:
        "The retrieval score sources are ranked by: fused (hybrid), cosine similarity (vector) or ts_rank (keyword)",
    }),
    ...optionalExplanation,
  })
  .openapi("ChatSource");

export const ToolFailureSchema = z
  .object({ code: z.string(), message: z.string() })
  .strict()
  .openapi("ChatToolError", { description: "What the model was told instead of a result; nothing ran" });

/** One tool call the model made while answering, with its result or the error it was sent back. */
export const ChatToolCallSchema = z
  .object({
    id: z.string().openapi({ description: "call_1, call_2, … in the order the model made them" }),
    name: z.string().openapi({ description: "`search`, `query` or `sql` (or a name the model made up, refused)" }),
    arguments: z.unknown().openapi({ description: "As the model wrote them (null when they were not JSON)" }),
    result: z
      .union([ChatQueryResultSchema, z.object({ sources: z.array(SourceSchema) }).strict()])
      .optional()
      .openapi({ description: "`query`: the numbered result; `search`: the rows found, numbered as cited" }),
    error: ToolFailureSchema.optional(),
  })
  .openapi("ChatToolCall");

export const ChatAnswerSchema = z
  .object({
    response: z.string(),
    sources: z
      .array(SourceSchema)
      .openapi({ description: "The retrieved rows, then those the model's searches found, numbered as cited [n]" }),
    tool_calls: z.array(ChatToolCallSchema).openapi({
      description: "Every tool call the model made (Gemini and OpenAI-compatible providers; none for extractive)",
    }),
    queries: z
      .array(ChatQueryResultSchema)
      .openapi({ description: "The queries that ran, cited in the answer as [Q1], [Q2]…" }),
    user_name: z.string(),
    provider: z.string(),
    timestamp: z.string().openapi({ description: "ISO 8601 with zone", example: "2026-01-01T12:00:00.000Z" }),
    warnings: z
      .array(z.string())
      .optional()
      .openapi({ description: "Problems that did not stop the answer, e.g. history unavailable" }),
  })
  .openapi("ChatAnswer");

export const HistorySchema = z
  .object({
    user_name: z.string(),
    messages: z.array(
      z.object({
        index: z.number().int().openapi({ description: "Grows with every message; pass as `before` to page back" }),
        role: z.enum(["user", "assistant"]),
        content: z.string(),
        timestamp: z.string(),
        provider: z.string().optional(),
        tool_calls: z
          .array(
            z.object({
              name: z.string(),
              arguments: z.unknown(),
              label: z.string().optional().openapi({ description: "A query's citation label, e.g. Q1" }),
              rows: z
                .array(z.record(z.string(), z.unknown()))
                .optional()
                .openapi({ description: "A query's first rows (at most 20)" }),
              row_count: z.number().int().optional(),
              truncated: z.boolean().optional(),
              cited_sources: z.array(z.number().int()).optional().openapi({ description: "A search's row numbers" }),
              error: ToolFailureSchema.optional(),
            }),
          )
          .optional()
          .openapi({ description: "An assistant message's tool calls, as history keeps them" }),
      }),
    ),
    next_before: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "`before` for the next older page; null on the oldest" }),
  })
  .openapi("ChatHistory");

export const chatBody = { body: { required: true, content: { "application/json": { schema: ChatRequestSchema } } } };
export const upstreamErrors = {
  502: { description: "The LLM provider failed", content: { "application/json": { schema: ErrorSchema } } },
  503: {
    description: "A component or the LLM provider is unavailable",
    content: { "application/json": { schema: ErrorSchema } },
  },
  504: { description: "The LLM provider timed out", content: { "application/json": { schema: ErrorSchema } } },
} as const;

export function chatRequest(body: z.infer<typeof ChatRequestSchema>): ChatRequest {
  return {
    userName: body.user_name,
    message: body.message,
    maxResults: body.max_results,
    includeHistory: body.include_history,
    filters: body.filters,
    provider: body.provider,
    retrievalMode: body.retrieval_mode,
  };
}
