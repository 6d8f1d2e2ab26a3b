import { z } from "zod";
import type { LlmFinishReason, LlmToolCall, LlmUsage } from "./provider.js";

/**
 * The fields we read from a `GenerateContentResponse` (a whole reply or one stream
 * event). The SDK types it but does not check it, so it is validated like any reply.
 */
const geminiReplySchema = z.object({
  candidates: z
    .array(
      z.object({
        content: z
          .object({
            parts: z
              .array(
                z.object({
                  text: z.string().optional(),
                  thought: z.boolean().optional(),
                  functionCall: z
                    .object({
                      id: z.string().optional(),
                      name: z.string().min(1),
                      args: z.record(z.string(), z.unknown()).optional(),
                    })
                    .optional(),
                }),
              )
              .optional(),
          })
          .optional(),
        finishReason: z.string().optional(),
      }),
    )
    .optional(),
  promptFeedback: z.object({ blockReason: z.string().optional() }).optional(),
  usageMetadata: z
    .object({
      promptTokenCount: z.number().optional(),
      candidatesTokenCount: z.number().optional(),
      totalTokenCount: z.number().optional(),
    })
    .optional(),
});

export interface GeminiReplyPart {
  /** The answer text in this reply, thoughts left out. */
  text: string;
  /** The `functionCall` parts, whole (a stream sends each call in one event). */
  toolCalls: LlmToolCall[];
  /**
   * The candidate's parts exactly as received (thought signatures included), since the next
   * request must repeat the model's turn unchanged.
   */
  rawParts: unknown[];
  /** Set on the last stream event (and on a whole reply), or when the prompt was blocked. */
  finishReason: LlmFinishReason | undefined;
  usage: LlmUsage | undefined;
}

/** Reads a reply or stream event; undefined when it does not have the expected shape. */
export function readGeminiReply(reply: unknown): GeminiReplyPart | undefined {
  const parsed = geminiReplySchema.safeParse(reply);
  if (!parsed.success) return undefined;
  const { candidates, promptFeedback, usageMetadata } = parsed.data;
  const candidate = candidates?.[0];
  const parts = candidate?.content?.parts ?? [];
  const text = parts
    .filter((part) => !part.thought)
    .map((part) => part.text ?? "")
    .join("");
  const toolCalls = parts.flatMap((part) =>
    part.functionCall
      ? [{ id: part.functionCall.id, name: part.functionCall.name, arguments: part.functionCall.args ?? {} }]
      : [],
  );
  // A blocked prompt comes back with no candidate at all, only the feedback.
  const finishReason = candidate?.finishReason
    ? geminiFinishReason(candidate.finishReason)
    : promptFeedback?.blockReason
      ? "content-filter"
      : undefined;
  const usage = usageMetadata && {
    inputTokens: usageMetadata.promptTokenCount,
    outputTokens: usageMetadata.candidatesTokenCount,
    totalTokens: usageMetadata.totalTokenCount,
  };
  return { text, toolCalls, rawParts: rawPartsOf(reply), finishReason, usage };
}

function rawPartsOf(reply: unknown): unknown[] {
  const raw = z
    .object({ candidates: z.array(z.object({ content: z.object({ parts: z.array(z.unknown()) }) })).min(1) })
    .safeParse(reply);
  return raw.success ? (raw.data.candidates[0]?.content.parts ?? []) : [];
}

const contentFilterReasons = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
]);

function geminiFinishReason(reason: string): LlmFinishReason {
  if (reason === "STOP") return "stop";
  if (reason === "MAX_TOKENS") return "length";
  return contentFilterReasons.has(reason) ? "content-filter" : "other";
}
