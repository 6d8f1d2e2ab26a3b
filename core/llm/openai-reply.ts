import { z } from "zod";
import type { LlmFinishReason, LlmToolCall, LlmUsage } from "./provider.js";

const usageSchema = z.object({
  prompt_tokens: z.number().optional(),
  completion_tokens: z.number().optional(),
  total_tokens: z.number().optional(),
});

const toolCallSchema = z.object({
  id: z.string().nullish(),
  function: z.object({ name: z.string().min(1), arguments: z.string().nullish() }),
});

/** The fields we read from a chat completion. Servers add their own (llama.cpp's `timings`); they are dropped. */
const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallSchema).nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

/**
 * A piece of a streamed tool call: pieces with the same `index` join into one call; the id and name
 * come once, the arguments' text in fragments (or whole, as some servers send it).
 */
const toolCallDeltaSchema = z.object({
  index: z.number().int().min(0).optional(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

/**
 * One streamed chunk. `delta.role` is ignored: vLLM sends it alone in a first chunk,
 * Ollama repeats it in every delta. A usage-only chunk has `choices: []`.
 */
const chunkSchema = z.object({
  choices: z.array(
    z.object({
      delta: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallDeltaSchema).nullish() }).nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: usageSchema.nullish(),
});

export type OpenAiToolCallDelta = z.infer<typeof toolCallDeltaSchema>;

export interface OpenAiReplyPart {
  text: string;
  finishReason: LlmFinishReason | undefined;
  usage: LlmUsage | undefined;
}

/** Reads a whole completion; undefined when it is not one (the client hands back a non-JSON body as a string). */
export function readOpenAiCompletion(reply: unknown): (OpenAiReplyPart & { toolCalls: LlmToolCall[] }) | undefined {
  const parsed = completionSchema.safeParse(reply);
  if (!parsed.success) return undefined;
  const choice = parsed.data.choices[0];
  return {
    text: choice?.message.content ?? "",
    finishReason: choice?.finish_reason ? openAiFinishReason(choice.finish_reason) : undefined,
    usage: readUsage(parsed.data.usage),
    toolCalls: (choice?.message.tool_calls ?? []).map((call, index) =>
      toolCall(call.id ?? undefined, call.function.name, call.function.arguments ?? "", index),
    ),
  };
}

/** Reads one stream chunk; undefined when it does not have the expected shape. */
export function readOpenAiChunk(chunk: unknown): (OpenAiReplyPart & { toolCalls: OpenAiToolCallDelta[] }) | undefined {
  const parsed = chunkSchema.safeParse(chunk);
  if (!parsed.success) return undefined;
  const choice = parsed.data.choices[0];
  return {
    text: choice?.delta?.content ?? "",
    finishReason: choice?.finish_reason ? openAiFinishReason(choice.finish_reason) : undefined,
    usage: readUsage(parsed.data.usage),
    toolCalls: choice?.delta?.tool_calls ?? [],
  };
}

/** Joins streamed tool-call pieces by index, in the order the calls were opened. */
export class ToolCallAssembler {
  private readonly calls = new Map<number, { id: string | undefined; name: string; text: string }>();

  add(deltas: readonly OpenAiToolCallDelta[]): void {
    for (const [position, delta] of deltas.entries()) {
      // A server that sends each call whole may leave `index` out; its position in the list stands in.
      const index = delta.index ?? position;
      const call = this.calls.get(index) ?? { id: undefined, name: "", text: "" };
      call.id = delta.id ?? call.id;
      call.name += delta.function?.name ?? "";
      call.text += delta.function?.arguments ?? "";
      this.calls.set(index, call);
    }
  }

  get size(): number {
    return this.calls.size;
  }

  assembled(): LlmToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => toolCall(call.id, call.name, call.text, index));
  }
}

/**
 * A call with its arguments parsed; the text is kept to be sent back as the model wrote it. A
 * server that sends no id gets one made up, since the tool message must name the call it answers.
 */
function toolCall(id: string | undefined, name: string, text: string, index: number): LlmToolCall {
  let parsed: unknown;
  try {
    parsed = text.trim() ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  return { id: id || `call_${index}`, name, arguments: parsed, argumentsText: text };
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
  if (reason === "tool_calls" || reason === "function_call") return "tool-calls";
  return "other";
}
