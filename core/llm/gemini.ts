import {
  type Content,
  FunctionCallingConfigMode,
  type GenerateContentParameters,
  GoogleGenAI,
  type Part,
} from "@google/genai";
import { linkAbort } from "./abort.js";
import { LlmBadResponseError } from "./errors.js";
import { translateGeminiError } from "./gemini-errors.js";
import { readGeminiReply } from "./gemini-reply.js";
import type {
  LlmCallOptions,
  LlmFinishReason,
  LlmProvider,
  LlmRequest,
  LlmResult,
  LlmStreamPart,
  LlmToolCall,
  LlmTurn,
  LlmUsage,
} from "./provider.js";
import { ProviderCalls } from "./provider-calls.js";
import type { LlmProviderName } from "./providers.js";
import type { RetryDelays } from "./retry.js";

export interface GeminiProviderOptions {
  apiKey: string;
  model: string;
  /** Override of https://generativelanguage.googleapis.com (a proxy, or a test double). */
  baseUrl?: string;
  /** Pinned, since the SDK's default moved from v1beta (2.x) to v1 (3.x). */
  apiVersion?: string;
  /** Per attempt. The SDK keeps it armed while a stream is read, so it also bounds a whole streamed answer. */
  timeoutMs: number;
  /** Retries after the first attempt, on 429 and 5xx. */
  maxRetries: number;
  temperature: number;
  maxTokens: number;
  retryDelays?: Partial<RetryDelays>;
}

/** v1beta carries the newest Gemini features first; it is what Google's own samples call. */
export const defaultGeminiApiVersion = "v1beta";

/** Gemini through `@google/genai`; retries are ours, the SDK's own stay off so they are never doubled. */
export class GeminiProvider implements LlmProvider {
  readonly name: LlmProviderName = "gemini";
  readonly supportsTools = true;
  readonly model: string;
  private readonly options: GeminiProviderOptions;
  private readonly client: GoogleGenAI;
  private readonly calls: ProviderCalls;

  constructor(options: GeminiProviderOptions) {
    this.options = options;
    this.calls = new ProviderCalls(options, translateGeminiError);
    this.model = options.model;
    this.client = new GoogleGenAI({
      apiKey: options.apiKey,
      httpOptions: {
        baseUrl: options.baseUrl,
        apiVersion: options.apiVersion ?? defaultGeminiApiVersion,
        timeout: options.timeoutMs,
      },
    });
  }

  async generate(request: LlmRequest, options: LlmCallOptions = {}): Promise<LlmResult> {
    const reply = await this.calls.retrying(
      () => this.client.models.generateContent(this.parameters(request, options.signal)),
      options.signal,
    );
    const part = readGeminiReply(reply);
    if (!part) throw new LlmBadResponseError(this.name, "the reply did not have the expected shape");
    if (!part.finishReason && !reply.candidates?.length) {
      throw new LlmBadResponseError(this.name, "the reply had no candidate");
    }
    if (!part.toolCalls.length)
      return { text: part.text, finishReason: part.finishReason ?? "other", usage: part.usage };
    // Gemini says STOP after a call too; the calls are what tell the loop to go on.
    return {
      text: part.text,
      finishReason: "tool-calls",
      usage: part.usage,
      toolCalls: part.toolCalls,
      native: { role: "model", parts: part.rawParts },
    };
  }

  async *stream(request: LlmRequest, options: LlmCallOptions = {}): AsyncIterable<LlmStreamPart> {
    const call = linkAbort(options.signal);
    let completed = false;
    try {
      // Only opening the stream is retried: once text has been handed on, a retry would repeat it.
      const events = await this.calls.retrying(
        () => this.client.models.generateContentStream(this.parameters(request, call.signal)),
        options.signal,
      );
      let finishReason: LlmFinishReason | undefined;
      let usage: LlmUsage | undefined;
      let called = false;
      // Every part of every event, in order: the model's turn as it must be sent back.
      const rawParts: unknown[] = [];
      for await (const event of events) {
        const part = readGeminiReply(event);
        if (!part) throw new LlmBadResponseError(this.name, "a stream event did not have the expected shape");
        rawParts.push(...part.rawParts);
        if (part.text) yield { type: "text-delta", text: part.text };
        for (const call of part.toolCalls) {
          called = true;
          yield { type: "tool-call", call };
        }
        usage = part.usage ?? usage;
        finishReason = part.finishReason ?? finishReason;
      }
      // Gemini marks its last event with a finishReason; without one the answer was cut short.
      if (!finishReason) throw new LlmBadResponseError(this.name, "the stream ended before the answer finished");
      completed = true;
      yield called
        ? { type: "finish", finishReason: "tool-calls", usage, native: { role: "model", parts: rawParts } }
        : { type: "finish", finishReason, usage };
    } catch (error) {
      throw this.calls.translate(error, options.signal);
    } finally {
      // A consumer that stops reading (or an error) must not leave the request open.
      if (!completed) call.abort();
      call.dispose();
    }
  }

  private parameters(request: LlmRequest, abortSignal: AbortSignal | undefined): GenerateContentParameters {
    return {
      model: this.model,
      contents: request.messages.map(geminiContent),
      config: {
        systemInstruction: request.system ? { parts: [{ text: request.system }] } : undefined,
        ...(request.tools?.length
          ? {
              tools: [
                {
                  functionDeclarations: request.tools.map((tool) => ({
                    name: tool.name,
                    description: tool.description,
                    // JSON Schema as is: `parameters` would want Gemini's OpenAPI subset.
                    parametersJsonSchema: tool.parameters,
                  })),
                },
              ],
              toolConfig: {
                functionCallingConfig: {
                  mode: request.toolChoice === "none" ? FunctionCallingConfigMode.NONE : FunctionCallingConfigMode.AUTO,
                },
              },
            }
          : {}),
        temperature: request.temperature ?? this.options.temperature,
        maxOutputTokens: request.maxTokens ?? this.options.maxTokens,
        abortSignal,
      },
    };
  }
}

/** A turn as Gemini's `contents` take it; results go back as a user turn of `functionResponse` parts. */
function geminiContent(turn: LlmTurn): Content {
  if (turn.role === "user") return { role: "user", parts: [{ text: turn.content }] };
  if (turn.role === "tool") {
    return {
      role: "user",
      parts: turn.results.map((result) => ({
        functionResponse: {
          ...(result.call.id ? { id: result.call.id } : {}),
          name: result.call.name,
          // Gemini's convention: `output` for a result, `error` for a failure.
          response: result.isError ? { error: result.output } : { output: result.output },
        },
      })),
    };
  }
  if (isContent(turn.native)) return turn.native;
  const parts: Part[] = [
    ...(turn.content ? [{ text: turn.content }] : []),
    ...(turn.toolCalls ?? []).map((call: LlmToolCall) => ({
      functionCall: { ...(call.id ? { id: call.id } : {}), name: call.name, args: argumentsObject(call.arguments) },
    })),
  ];
  return { role: "model", parts };
}

function isContent(value: unknown): value is Content {
  return typeof value === "object" && value !== null && "parts" in value && Array.isArray(value.parts);
}

function argumentsObject(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
