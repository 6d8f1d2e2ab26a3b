import { LlmError, redactSecret } from "./errors.js";
import { defaultRetryDelays, type RetryDelays, withTranslatedRetry } from "./retry.js";

/**
 * Maps what a provider's SDK threw to one of our typed errors. `cause` is that error with the
 * key redacted; the caller's abort and our own errors never reach it.
 */
export type SdkErrorTranslator = (error: unknown, cause: unknown, timeoutMs: number) => unknown;

export interface ProviderCallOptions {
  apiKey?: string | undefined;
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  retryDelays?: Partial<RetryDelays> | undefined;
}

/** How a provider calls its SDK: with our retries (the SDK's own stay off), every failure typed. */
export class ProviderCalls {
  constructor(
    private readonly options: ProviderCallOptions,
    private readonly translateSdkError: SdkErrorTranslator,
  ) {}

  /** Runs `operation` until it succeeds or a failure is not worth retrying; rejects with a typed error. */
  retrying<T>(operation: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    return withTranslatedRetry(operation, (error) => this.translate(error, signal), {
      ...defaultRetryDelays,
      ...this.options.retryDelays,
      maxRetries: this.options.maxRetries,
      signal,
    });
  }

  /** The caller's abort reason when it aborted (rethrown untouched), our own errors as they are, the rest typed. */
  translate(error: unknown, callerSignal: AbortSignal | undefined): unknown {
    if (callerSignal?.aborted) return callerSignal.reason;
    if (error instanceof LlmError) return error;
    return this.translateSdkError(error, redactSecret(error, this.options.apiKey), this.options.timeoutMs);
  }
}
