import { AppError } from "../errors/index.js";
import { LlmRateLimitedError, LlmTimeoutError } from "./errors.js";

export interface RetryDelays {
  /** First backoff delay; it doubles on each retry. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * The longest wait a provider may ask for (Retry-After, RetryInfo) that we sit out.
   * A longer one surfaces the rate-limit error at once: a chat user should not wait
   * half a minute for an answer, and the error carries the wait for the client.
   */
  maxRetryAfterMs: number;
}

export interface RetryOptions extends RetryDelays {
  /** Retries after the first attempt: 0 means one attempt only. */
  maxRetries: number;
  /** Aborting stops the waiting and the retrying; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Which failures are worth another attempt; by default {@link isWorthRetrying}. */
  shouldRetry?: (error: unknown) => boolean;
  /** Source of jitter in [0, 1), injectable so tests can pin it. */
  random?: () => number;
}

export const defaultRetryDelays: RetryDelays = { baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 10_000 };

/**
 * A retryable typed error, except a timeout: the call already spent its whole time
 * budget, and retrying would multiply the wait the user sees.
 */
export function isWorthRetrying(error: unknown): boolean {
  return error instanceof AppError && error.retryable && !(error instanceof LlmTimeoutError);
}

/**
 * Runs `operation` until it succeeds, a failure is not worth retrying, retries run out
 * or the signal aborts. Waits exponentially with jitter, or as long as a rate-limit
 * error asks (up to `maxRetryAfterMs`).
 *
 * @example await withRetry(() => client.call(), { maxRetries: 2, ...defaultRetryDelays, signal })
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const shouldRetry = options.shouldRetry ?? isWorthRetrying;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.signal?.aborted || attempt >= options.maxRetries || !shouldRetry(error)) throw error;
      const delayMs = retryDelayMs(error, attempt, options);
      if (delayMs === undefined) throw error;
      await sleep(delayMs, options.signal);
    }
  }
}

/** The wait before retry number `attempt + 1`, or undefined when the provider asks for longer than we allow. */
export function retryDelayMs(error: unknown, attempt: number, options: RetryOptions): number | undefined {
  if (error instanceof LlmRateLimitedError && error.retryAfterSeconds !== undefined) {
    const requestedMs = error.retryAfterSeconds * 1000;
    return requestedMs > options.maxRetryAfterMs ? undefined : requestedMs;
  }
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  // "Equal jitter": at least half the delay, so retries never bunch up at zero.
  const random = options.random ?? Math.random;
  return exponential / 2 + random() * (exponential / 2);
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * withRetry over an SDK call whose failures are first translated into the provider's typed
 * errors, so retrying is decided on those (a 429 or 5xx) and never on the SDK's own classes.
 */
export function withTranslatedRetry<T>(
  operation: () => Promise<T>,
  translate: (error: unknown) => unknown,
  options: RetryOptions,
): Promise<T> {
  return withRetry(async () => {
    try {
      return await operation();
    } catch (error) {
      throw translate(error);
    }
  }, options);
}
