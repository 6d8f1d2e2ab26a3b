import type { LlmProvider, LlmRequest, LlmToolCall, LlmToolResult, LlmTurn } from "../llm/index.js";
import type { ChatToolbox, ChatToolCall } from "./tools.js";

/** What the loop reports as it goes: the model's text, and each call with its outcome. */
export type ToolLoopEvent =
  | { type: "content"; delta: string }
  | { type: "tool_call"; id: string; name: string; arguments: unknown }
  | { type: "tool_result"; call: ChatToolCall };

export interface ToolLoopOptions {
  provider: LlmProvider;
  /** The prompt, tools included. */
  request: LlmRequest;
  toolbox: ChatToolbox;
  /** Calls run at most (CHAT_MAX_TOOL_CALLS); later ones are refused and the model is asked to answer. */
  maxCalls: number;
  /** Stream each round (text as it comes) or ask for whole replies. */
  streaming: boolean;
  signal: AbortSignal | undefined;
}

/** Said when the model keeps calling tools after it was asked to answer with what it had. */
export const toolLimitAnswer = (maxCalls: number) =>
  `No answer was written: the model kept asking for tools after its limit of ${maxCalls} tool calls ` +
  "(CHAT_MAX_TOOL_CALLS). The results it got are listed with this reply; ask a narrower question.";

const limitReached = (maxCalls: number) =>
  `the limit of ${maxCalls} tool calls for one answer is reached: nothing ran; answer now from the results you have, ` +
  "and say what is missing";

/**
 * Runs the model with tools until it answers: each round's calls run in order and their results
 * (or errors) go back to it. After `maxCalls` calls, further ones are refused and the next round
 * is asked for an answer with tool choice `none`; a model that still calls gets no more rounds.
 */
export async function* runToolLoop(options: ToolLoopOptions): AsyncGenerator<ToolLoopEvent> {
  const { provider, toolbox, maxCalls, signal } = options;
  const turns: LlmTurn[] = [...options.request.messages];
  let ran = 0;
  let numbered = 0;
  let wroteText = false;
  for (;;) {
    const exhausted = ran >= maxCalls;
    const request: LlmRequest = { ...options.request, messages: turns, toolChoice: exhausted ? "none" : "auto" };
    let text = "";
    let calls: LlmToolCall[] = [];
    let native: unknown;
    // Text from every round is the answer; rounds are set apart so sentences do not run together.
    const separate = () => (wroteText && !text ? "\n\n" : "");
    if (options.streaming) {
      for await (const part of provider.stream(request, { signal })) {
        if (part.type === "text-delta" && part.text) {
          const delta = separate() + part.text;
          text += part.text;
          yield { type: "content", delta };
        } else if (part.type === "tool-call") calls.push(part.call);
        else if (part.type === "finish") native = part.native;
      }
    } else {
      const result = await provider.generate(request, { signal });
      calls = result.toolCalls ?? [];
      native = result.native;
      if (result.text) {
        const delta = separate() + result.text;
        text = result.text;
        yield { type: "content", delta };
      }
    }
    wroteText ||= text.length > 0;
    if (calls.length === 0) return;

    const results: LlmToolResult[] = [];
    for (const call of calls) {
      const id = `call_${++numbered}`;
      yield { type: "tool_call", id, name: call.name, arguments: call.arguments ?? null };
      let outcome: Awaited<ReturnType<ChatToolbox["run"]>>;
      if (ran >= maxCalls) {
        const error = { code: "tool_limit_reached", message: limitReached(maxCalls) };
        outcome = {
          isError: true,
          output: error,
          record: { id, name: call.name, arguments: call.arguments ?? null, error },
        };
      } else {
        ran++;
        signal?.throwIfAborted();
        outcome = await toolbox.run(id, call);
      }
      yield { type: "tool_result", call: outcome.record };
      results.push({ call, output: outcome.output, isError: outcome.isError });
    }
    if (exhausted) {
      // Asked to answer, it called again: stop here rather than loop on a model that will not stop.
      yield { type: "content", delta: (wroteText ? "\n\n" : "") + toolLimitAnswer(maxCalls) };
      return;
    }
    turns.push({ role: "assistant", content: text, toolCalls: calls, native });
    turns.push({ role: "tool", results });
  }
}
