import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { linkAbort } from "./abort.js";
import { LlmBadResponseError, LlmError, LlmTimeoutError } from "./errors.js";
import { IdleTimer } from "./idle-timer.js";
import { translateOpenAiError } from "./openai-errors.js";
import { readOpenAiChunk, readOpenAiCompletion, ToolCallAssembler } from "./openai-reply.js";
import type {
  LlmCallOptions,
  LlmFinishReason,
  LlmProvider,
  LlmRequest,
  LlmResult,
  LlmStreamPart,
  LlmTurn,
  LlmUsage,
} from "./provider.js";
import { ProviderCalls } from "./provider-calls.js";
import type { LlmProviderName } from "./providers.js";
import type { RetryDelays } from "./retry.js";

export interface OpenAiCompatibleProviderOptions {
  /** Including the version path, e.g. http://127.0.0.1:11434/v1 for Ollama. */
  baseUrl: string;
  /** Local servers usually need none. */
  apiKey?: string;
  model: string;
  /** The wait for response headers (the client's own timeout covers no more). */
  timeoutMs: number;
  /** The longest silence between two stream chunks; defaults to timeoutMs. */
  idleTimeoutMs?: number;
  /** Retries after the first attempt, on 408/409/429/5xx and network failures. */
  maxRetries: number;
  temperature: number;
  maxTokens: number;
  retryDelays?: Partial<RetryDelays>;
}

/** The `openai` client requires some key; servers without auth (Ollama, vLLM without --api-key) ignore it. */
const placeholderKey = "not-needed";

/** Chat completions on any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp). */
export class OpenAiCompatibleProvider implements LlmProvider {
  readonly name: LlmProviderName = "openai";
  readonly supportsTools = true;
  readonly model: string;
  private readonly options: OpenAiCompatibleProviderOptions;
  private readonly client: OpenAI;
  private readonly calls: ProviderCalls;

  constructor(options: OpenAiCompatibleProviderOptions) {
    this.options = options;
    this.calls = new ProviderCalls(options, translateOpenAiError);
    this.model = options.model;
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      apiKey: options.apiKey ?? placeholderKey,
      // The client would otherwise retry twice on its own, multiplying ours.
      maxRetries: 0,
      timeout: options.timeoutMs,
      // Explicit nulls, or the client fills these from OPENAI_* environment variables.
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
    });
  }

  async generate(request: LlmRequest, options: LlmCallOptions = {}): Promise<LlmResult> {
    const reply: unknown = await this.calls.retrying(
      () =>
        this.client.chat.completions.create(
          { ...this.body(request), stream: false },
          { signal: options.signal ?? null },
        ),
      options.signal,
    );
    if (typeof reply === "string") throw new LlmBadResponseError(this.name, "the reply was not JSON");
    const part = readOpenAiCompletion(reply);
    if (!part) throw new LlmBadResponseError(this.name, "the reply did not have the expected shape");
    if (!part.toolCalls.length)
      return { text: part.text, finishReason: part.finishReason ?? "other", usage: part.usage };
    return { text: part.text, finishReason: "tool-calls", usage: part.usage, toolCalls: part.toolCalls };
  }

  async *stream(request: LlmRequest, options: LlmCallOptions = {}): AsyncIterable<LlmStreamPart> {
    const call = linkAbort(options.signal);
    const idleTimeoutMs = this.options.idleTimeoutMs ?? this.options.timeoutMs;
    // Aborting makes the client end the iteration silently; `idle.fired` tells that apart from a finished stream.
    const idle = new IdleTimer(idleTimeoutMs, () => call.abort());
    let completed = false;
    try {
      // Only opening the stream is retried: once text has been handed on, a retry would repeat it.
      const chunks = await this.calls.retrying(
        () => this.client.chat.completions.create({ ...this.body(request), stream: true }, { signal: call.signal }),
        options.signal,
      );
      let finishReason: LlmFinishReason | undefined;
      let usage: LlmUsage | undefined;
      // A call arrives in pieces (id and name first, then fragments of its arguments); whole once the stream ends.
      const toolCalls = new ToolCallAssembler();
      idle.start();
      for await (const chunk of chunks) {
        idle.stop();
        const part = readOpenAiChunk(chunk);
        if (!part) throw new LlmBadResponseError(this.name, "a stream chunk did not have the expected shape");
        if (part.text) yield { type: "text-delta", text: part.text };
        toolCalls.add(part.toolCalls);
        usage = part.usage ?? usage;
        finishReason = part.finishReason ?? finishReason;
        idle.start();
      }
      idle.stop();
      if (idle.fired) throw new LlmTimeoutError(this.name, idleTimeoutMs);
      // The client ends quietly when [DONE] never comes, and on an abort mid-stream (the catch below
      // turns that into the abort's reason): only a finish_reason says the answer is whole.
      if (!finishReason) throw new LlmBadResponseError(this.name, "the stream ended before the answer finished");
      for (const call of toolCalls.assembled()) yield { type: "tool-call", call };
      completed = true;
      yield { type: "finish", finishReason: toolCalls.size ? "tool-calls" : finishReason, usage };
    } catch (error) {
      if (idle.fired && !(error instanceof LlmError) && !options.signal?.aborted) {
        throw new LlmTimeoutError(this.name, idleTimeoutMs, { cause: error });
      }
      throw this.calls.translate(error, options.signal);
    } finally {
      idle.stop();
      // A consumer that stops reading (or an error) must not leave the request open.
      if (!completed) call.abort();
      call.dispose();
    }
  }

  private body(request: LlmRequest) {
    const system: ChatCompletionMessageParam[] = request.system ? [{ role: "system", content: request.system }] : [];
    const history: ChatCompletionMessageParam[] = request.messages.flatMap(openAiMessages);
    return {
      model: this.model,
      messages: [...system, ...history],
      ...(request.tools?.length
        ? {
            tools: request.tools.map((tool) => ({
              type: "function" as const,
              function: { name: tool.name, description: tool.description, parameters: tool.parameters },
            })),
            tool_choice: request.toolChoice ?? "auto",
          }
        : {}),
      temperature: request.temperature ?? this.options.temperature,
      // Not `max_completion_tokens`: Ollama, vLLM and llama.cpp all read `max_tokens`.
      max_tokens: request.maxTokens ?? this.options.maxTokens,
    };
  }
}

/** A turn as chat-completion messages: the model's calls repeated as it made them, one `tool` message per result. */
function openAiMessages(turn: LlmTurn): ChatCompletionMessageParam[] {
  if (turn.role === "user") return [{ role: "user", content: turn.content }];
  if (turn.role === "tool") {
    return turn.results.map((result) => ({
      role: "tool" as const,
      tool_call_id: result.call.id ?? "",
      content: JSON.stringify(result.isError ? { error: result.output } : result.output),
    }));
  }
  if (!turn.toolCalls?.length) return [{ role: "assistant", content: turn.content }];
  return [
    {
      role: "assistant",
      // OpenAI's own reply has null content beside calls; some servers refuse an empty string there.
      content: turn.content || null,
      tool_calls: turn.toolCalls.map((call) => ({
        id: call.id ?? "",
        type: "function" as const,
        function: { name: call.name, arguments: call.argumentsText ?? JSON.stringify(call.arguments ?? {}) },
      })),
    },
  ];
}
