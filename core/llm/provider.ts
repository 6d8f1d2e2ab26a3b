import type { LlmProviderName } from "./providers.js";

/** One turn of the conversation sent to a model; the system prompt travels apart. */
export interface LlmMessage {
  role: "user" | "assistant";
  content: string;
}

/** A retrieved document as the prompt numbers it, so answers can cite it as [n]. */
export interface LlmDocument {
  n: number;
  content: string;
  /** The row's other fields (prices, dates); the extractive provider shows them for quantity questions. */
  metadata?: Readonly<Record<string, unknown>>;
}

export interface LlmRequest {
  system: string;
  /** History then the final user turn, oldest first; the prompt builder has already put documents in it. */
  messages: LlmMessage[];
  /** Overrides of the provider's configured defaults. */
  temperature?: number;
  maxTokens?: number;
  /** The numbered documents on their own, for the extractive provider; remote providers ignore them. */
  documents?: LlmDocument[];
  /** The bare question, for the extractive provider; remote providers ignore it. */
  question?: string;
}

/** Why the model stopped: `length` means the answer was cut at the token limit. */
export type LlmFinishReason = "stop" | "length" | "content-filter" | "other";

export interface LlmUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

export interface LlmResult {
  text: string;
  finishReason: LlmFinishReason;
  usage?: LlmUsage;
}

/** A streamed answer: text deltas, then exactly one `finish`. Failures are thrown by the iterator. */
export type LlmStreamPart =
  | { type: "text-delta"; text: string }
  | { type: "finish"; finishReason: LlmFinishReason; usage?: LlmUsage };

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
  generate(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResult>;
  stream(request: LlmRequest, options?: LlmCallOptions): AsyncIterable<LlmStreamPart>;
}
