import { z } from "zod";
import type { LlmFinishReason, LlmUsage } from "./provider.js";

const usageSchema = z.object({
  prompt_tokens: z.number().optional(),
  completion_tokens: z.number().optional(),
  total_tokens: z.number().optional(),
});

/** The fields we read from a chat completion. Servers add their own (llama.cpp's `timings`); they are dropped. */
const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

/**
 * One streamed chunk. `delta.role` is ignored: vLLM sends it alone in a first chunk,
 * Ollama repeats it in every delta. A usage-only chunk has `choices: []`.
 */
const chunkSchema = z.object({
  choices: z.array(
    z.object({
      delta: z.object({ content: z.string().nullish() }).nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: usageSchema.nullish(),
});

export interface OpenAiReplyPart {
  text: string;
  finishReason: LlmFinishReason | undefined;
  usage: LlmUsage | undefined;
}

/** Reads a whole completion; undefined when it is not one (the client hands back a non-JSON body as a string). */
export function readOpenAiCompletion(reply: unknown): OpenAiReplyPart | undefined {
  const parsed = completionSchema.safeParse(reply);
  if (!parsed.success) return undefined;
  const choice = parsed.data.choices[0];
  return {
    text: choice?.message.content ?? "",
    finishReason: choice?.finish_reason ? openAiFinishReason(choice.finish_reason) : undefined,
    usage: readUsage(parsed.data.usage),
  };
}

/** Reads one stream chunk; undefined when it does not have the expected shape. */
export function readOpenAiChunk(chunk: unknown): OpenAiReplyPart | undefined {
  const parsed = chunkSchema.safeParse(chunk);
  if (!parsed.success) return undefined;
  const choice = parsed.data.choices[0];
  return {
    text: choice?.delta?.content ?? "",
    finishReason: choice?.finish_reason ? openAiFinishReason(choice.finish_reason) : undefined,
    usage: readUsage(parsed.data.usage),
  };
}

function readUsage(usage: z.infer<typeof usageSchema> | null | undefined): LlmUsage | undefined {
  return usage
    ? { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, totalTokens: usage.total_tokens }
    : undefined;
}

function openAiFinishReason(reason: string): LlmFinishReason {
  if (reason === "stop") return "stop";
  if (reason === "length") return "length";
  if (reason === "content_filter") return "content-filter";
  return "other";
}
