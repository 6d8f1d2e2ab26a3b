import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { linkAbort } from "./abort.js";
import { LlmBadResponseError, LlmError, LlmTimeoutError } from "./errors.js";
import { IdleTimer } from "./idle-timer.js";
import { translateOpenAiError } from "./openai-errors.js";
import { readOpenAiChunk, readOpenAiCompletion } from "./openai-reply.js";
import type {
  LlmCallOptions,
  LlmFinishReason,
  LlmProvider,
  LlmRequest,
  LlmResult,
  LlmStreamPart,
  LlmUsage,
} from "./provider.js";
import type { LlmProviderName } from "./providers.js";
import { defaultRetryDelays, type RetryDelays, withTranslatedRetry } from "./retry.js";

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
  readonly model: string;
  private readonly options: OpenAiCompatibleProviderOptions;
  private readonly client: OpenAI;

  constructor(options: OpenAiCompatibleProviderOptions) {
    this.options = options;
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
    const reply: unknown = await this.retrying(
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
    return { text: part.text, finishReason: part.finishReason ?? "other", usage: part.usage };
  }

  async *stream(request: LlmRequest, options: LlmCallOptions = {}): AsyncIterable<LlmStreamPart> {
    const call = linkAbort(options.signal);
    const idleTimeoutMs = this.options.idleTimeoutMs ?? this.options.timeoutMs;
    // Aborting makes the client end the iteration silently; `idle.fired` tells that apart from a finished stream.
    const idle = new IdleTimer(idleTimeoutMs, () => call.abort());
    let completed = false;
    try {
      // Only opening the stream is retried: once text has been handed on, a retry would repeat it.
      const chunks = await this.retrying(
        () => this.client.chat.completions.create({ ...this.body(request), stream: true }, { signal: call.signal }),
        options.signal,
      );
      let finishReason: LlmFinishReason | undefined;
      let usage: LlmUsage | undefined;
      idle.start();
      for await (const chunk of chunks) {
        idle.stop();
        const part = readOpenAiChunk(chunk);
        if (!part) throw new LlmBadResponseError(this.name, "a stream chunk did not have the expected shape");
        if (part.text) yield { type: "text-delta", text: part.text };
        usage = part.usage ?? usage;
        finishReason = part.finishReason ?? finishReason;
        idle.start();
      }
      idle.stop();
      if (idle.fired) throw new LlmTimeoutError(this.name, idleTimeoutMs);
      // The client ends quietly when [DONE] never comes, and on an abort mid-stream (the catch below
      // turns that into the abort's reason): only a finish_reason says the answer is whole.
      if (!finishReason) throw new LlmBadResponseError(this.name, "the stream ended before the answer finished");
      completed = true;
      yield { type: "finish", finishReason, usage };
    } catch (error) {
      if (idle.fired && !(error instanceof LlmError) && !options.signal?.aborted) {
        throw new LlmTimeoutError(this.name, idleTimeoutMs, { cause: error });
      }
      throw this.translate(error, options.signal);
    } finally {
      idle.stop();
      // A consumer that stops reading (or an error) must not leave the request open.
      if (!completed) call.abort();
      call.dispose();
    }
  }

  private body(request: LlmRequest) {
    const system: ChatCompletionMessageParam[] = request.system ? [{ role: "system", content: request.system }] : [];
    const history: ChatCompletionMessageParam[] = request.messages.map((message) => ({
      role: message.role,
      content: message.content,
    }));
    return {
      model: this.model,
      messages: [...system, ...history],
      temperature: request.temperature ?? this.options.temperature,
      // Not `max_completion_tokens`: Ollama, vLLM and llama.cpp all read `max_tokens`.
      max_tokens: request.maxTokens ?? this.options.maxTokens,
    };
  }

  private retrying<T>(operation: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    return withTranslatedRetry(operation, (error) => this.translate(error, signal), {
      ...defaultRetryDelays,
      ...this.options.retryDelays,
      maxRetries: this.options.maxRetries,
      signal,
    });
  }

  private translate(error: unknown, callerSignal: AbortSignal | undefined): unknown {
    return translateOpenAiError(error, {
      apiKey: this.options.apiKey,
      timeoutMs: this.options.timeoutMs,
      callerSignal,
    });
  }
}
