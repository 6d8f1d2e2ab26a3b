import { z } from "@hono/zod-openapi";
import { ChatToolCallSchema, SourceSchema } from "./chat-schemas.js";

/** One event as sent: `event:` names its kind and `data:` holds this JSON, whose `type` repeats the kind. */
const event = <Data extends z.ZodType>(kind: string, data: Data) => z.object({ event: z.literal(kind), data }).strict();

const StreamErrorSchema = z.object({ code: z.string(), message: z.string() }).strict();

/**
 * The events of POST /chat/stream, described one at a time (each `data:` line parsed as JSON),
 * so a client or checker can validate them: `sources`, then (with a model that calls tools) `tool_call`
 * and `tool_result` pairs among the `content` deltas, then `done` or `error`; the stream ends with an
 * event of no name whose data is the text `[DONE]`.
 */
export const ChatStreamEventSchema = z
  .union([
    event("sources", z.object({ type: z.literal("sources"), sources: z.array(SourceSchema) }).strict()),
    event(
      "tool_call",
      z
        .object({ type: z.literal("tool_call"), id: z.string(), name: z.string(), arguments: z.unknown() })
        .strict()
        .openapi({ description: "The model asked for a tool; its `tool_result` follows before anything else" }),
    ),
    event(
      "tool_result",
      ChatToolCallSchema.extend({ type: z.literal("tool_result") })
        .strict()
        .openapi({
          description: "What the call returned (a query's numbered rows, a search's numbered rows) or its error",
        }),
    ),
    event("content", z.object({ type: z.literal("content"), delta: z.string() }).strict()),
    event(
      "done",
      z
        .object({
          type: z.literal("done"),
          response: z.string(),
          timings: z
            .object({
              retrieval_ms: z.number(),
              first_token_ms: z.number().optional().openapi({ description: "Absent when no text came" }),
              total_ms: z.number(),
            })
            .strict(),
          warnings: z.array(z.string()).optional(),
        })
        .strict(),
    ),
    event("error", z.object({ type: z.literal("error"), error: StreamErrorSchema }).strict()),
    z.object({ data: z.literal("[DONE]") }).strict(),
  ])
  .openapi("ChatStreamEvent", {
    description:
      "One Server-Sent Event: `event` is its `event:` field, `data` its `data:` line read as JSON " +
      "(the last event has no name and the data `[DONE]`, not JSON)",
  });
