import type { LlmProviderName } from "./providers.js";

/**
 * A call the model asked for. `id` is the provider's own (OpenAI always sends one; Gemini may not),
 * echoed back with the result so the model can pair them.
 */
export interface LlmToolCall {
  id?: string | undefined;
  name: string;
  /** The arguments as the model wrote them, parsed; undefined when they were not JSON (see `argumentsText`). */
  arguments: unknown;
  /** The model's own text of the arguments, when it sent text (OpenAI), echoed back unchanged. */
  argumentsText?: string | undefined;
}

/** What a tool call came to, as the model is told it: an output, or an error it can correct. */
export interface LlmToolResult {
  call: LlmToolCall;
  output: Record<string, unknown>;
  isError: boolean;
}

/** A tool the model may call: `parameters` is a JSON Schema object. */
export interface LlmToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** One plain turn of the conversation sent to a model; the system prompt travels apart. */
export interface LlmMessage {
  role: "user" | "assistant";
  content: string;
}

/** Any turn: a plain one, a model's turn that called tools, or the results going back. */
export type LlmTurn =
  | { role: "user"; content: string }
  | {
      role: "assistant";
      content: string;
      toolCalls?: LlmToolCall[] | undefined;
      /**
       * The turn as the provider returned it, sent back unchanged: Gemini's parts can carry
       * thought signatures the model needs to see again.
       */
      native?: unknown;
    }
  | { role: "tool"; results: LlmToolResult[] };

/** A retrieved document as the prompt numbers it, so answers can cite it as [n]. */
export interface LlmDocument {
  n: number;
  content: string;
  /** The row's other fields (prices, dates); the extractive provider shows them for quantity questions. */
  metadata?: Readonly<Record<string, unknown>>;
}

export interface LlmRequest {
  system: string;
  /**
   * History then the final user turn, oldest first; the prompt builder has already put documents in it.
   * In a tool loop, the model's calls and their results follow.
   */
  messages: LlmTurn[];
  /** Overrides of the provider's configured defaults. */
  temperature?: number;
  maxTokens?: number;
  /** The numbered documents on their own, for the extractive provider; remote providers ignore them. */
  documents?: LlmDocument[];
  /** The bare question, for the extractive provider; remote providers ignore it. */
  question?: string;
  /** Tools the model may call (providers with `supportsTools` only). */
  tools?: LlmToolDefinition[];
  /** `none` asks for an answer without further calls (the tools stay declared, as earlier turns used them). */
  toolChoice?: "auto" | "none";
}

/** Why the model stopped: `length` means the answer was cut at the token limit; `tool-calls` that it awaits results. */
export type LlmFinishReason = "stop" | "length" | "content-filter" | "tool-calls" | "other";

export interface LlmUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

export interface LlmResult {
  text: string;
  finishReason: LlmFinishReason;
  usage?: LlmUsage;
  /** Calls the model asked for; empty or absent when it answered. */
  toolCalls?: LlmToolCall[];
  /** The turn as the provider returned it, to send back as the assistant message's `native`. */
  native?: unknown;
}

/**
 * A streamed answer: text deltas and whole tool calls, then exactly one `finish`.
 * Failures are thrown by the iterator.
 */
export type LlmStreamPart =
  | { type: "text-delta"; text: string }
  | { type: "tool-call"; call: LlmToolCall }
  | { type: "finish"; finishReason: LlmFinishReason; usage?: LlmUsage; native?: unknown };

export interface LlmCallOptions {
  /** Aborting rejects the call (or the stream's next read) with the signal's reason and closes the connection. */
  signal?: AbortSignal;
}

/**
 * What every LLM provider offers; chat depends on this alone.
 * Failures are the typed errors of ./errors.ts, except an abort, which rethrows the signal's reason.
 */
export interface LlmProvider {
  readonly name: LlmProviderName;
  readonly model: string;
  /** Whether it can be offered tools (the extractive provider cannot plan calls). */
  readonly supportsTools: boolean;
  generate(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResult>;
  stream(request: LlmRequest, options?: LlmCallOptions): AsyncIterable<LlmStreamPart>;
}
