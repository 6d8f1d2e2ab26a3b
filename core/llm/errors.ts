import { AppError } from "../errors/index.js";

/*
 * Typed failures of an LLM call. Core never speaks HTTP; functions/ maps them:
 *   LlmRateLimitedError      → 503 with `Retry-After: ceil(retryAfterSeconds)` when known
 *   LlmAuthenticationError   → 502 (our key was refused upstream; the client did nothing wrong)
 *   LlmRequestRejectedError  → 502 (the provider refused a request we built: unknown model, prompt too long)
 *   LlmBadResponseError      → 502 (the provider answered something we cannot use)
 *   LlmUnavailableError      → 503 (5xx, network failure, an error reported mid-stream)
 *   LlmTimeoutError          → 504
 *   UnknownProviderError     → 400 (the request named a provider that is not configured)
 * An abort by the caller is not one of these: it rethrows the signal's reason, since nobody is listening.
 */

interface LlmErrorOptions {
  code: string;
  retryable: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** Base of every failure of a configured provider, so callers can catch them together. */
export class LlmError extends AppError {
  readonly provider: string;

  constructor(provider: string, message: string, options: LlmErrorOptions) {
    super(message, {
      code: options.code,
      retryable: options.retryable,
      cause: options.cause,
      details: { component: "llm", provider, ...options.details },
    });
    this.name = "LlmError";
    this.provider = provider;
  }
}

/** The provider asked us to slow down (HTTP 429, quota exhausted). */
export class LlmRateLimitedError extends LlmError {
  /** How long the provider asked us to wait, when it said so. */
  readonly retryAfterSeconds: number | undefined;

  constructor(provider: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    const wait = options.retryAfterSeconds === undefined ? "" : `; retry after ${options.retryAfterSeconds} s`;
    super(provider, `${provider} rate limit reached${wait}`, {
      code: "llm_rate_limited",
      retryable: true,
      cause: options.cause,
      details: { retryAfterSeconds: options.retryAfterSeconds },
    });
    this.name = "LlmRateLimitedError";
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The provider refused our API key. The message never carries the key; pass the cause through redactSecret. */
export class LlmAuthenticationError extends LlmError {
  constructor(provider: string, options: { cause?: unknown } = {}) {
    super(provider, `${provider} rejected the configured API key`, {
      code: "llm_authentication_failed",
      retryable: false,
      cause: options.cause,
    });
    this.name = "LlmAuthenticationError";
  }
}

/** The provider refused a request we built (unknown model, prompt too long): retrying the same one will not help. */
export class LlmRequestRejectedError extends LlmError {
  constructor(provider: string, options: { status?: number; cause?: unknown } = {}) {
    super(provider, `${provider} rejected the request${options.status ? ` (HTTP ${options.status})` : ""}`, {
      code: "llm_request_rejected",
      retryable: false,
      cause: options.cause,
      details: { status: options.status },
    });
    this.name = "LlmRequestRejectedError";
  }
}

/** The provider cannot answer right now: 5xx, a network failure, or an error reported mid-stream. */
export class LlmUnavailableError extends LlmError {
  constructor(provider: string, options: { status?: number; cause?: unknown; message?: string } = {}) {
    super(
      provider,
      options.message ?? `${provider} is unavailable${options.status ? ` (HTTP ${options.status})` : ""}`,
      {
        code: "llm_unavailable",
        retryable: true,
        cause: options.cause,
        details: { status: options.status },
      },
    );
    this.name = "LlmUnavailableError";
  }
}

/** The provider answered, but not with anything we can use (malformed body, a stream that stopped unfinished). */
export class LlmBadResponseError extends LlmError {
  constructor(provider: string, message: string, options: { cause?: unknown } = {}) {
    super(provider, `${provider} sent an unusable reply: ${message}`, {
      code: "llm_bad_response",
      retryable: false,
      cause: options.cause,
    });
    this.name = "LlmBadResponseError";
  }
}

/** No reply (or, while streaming, no next chunk) within the configured time. */
export class LlmTimeoutError extends LlmError {
  readonly timeoutMs: number;

  constructor(provider: string, timeoutMs: number, options: { cause?: unknown } = {}) {
    super(provider, `${provider} did not answer within ${timeoutMs} ms`, {
      code: "llm_timeout",
      retryable: true,
      cause: options.cause,
      details: { timeoutMs },
    });
    this.name = "LlmTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** A request named a provider that this deployment has not configured. */
export class UnknownProviderError extends AppError {
  constructor(requested: string, configured: readonly string[]) {
    super(`LLM provider '${requested}' is not configured; configured: ${configured.join(", ")}`, {
      code: "unknown_llm_provider",
      details: { component: "llm", provider: requested, configured },
    });
    this.name = "UnknownProviderError";
  }
}

/**
 * The cause to attach to a typed error, with `secret` scrubbed: some servers echo the
 * key they refused ("Incorrect API key provided: sk-…"), and causes end up in logs.
 */
export function redactSecret(cause: unknown, secret: string | undefined): unknown {
  if (!secret || !(cause instanceof Error)) return cause;
  let serialised: string;
  try {
    serialised = `${cause.message} ${JSON.stringify(cause)}`;
  } catch {
    serialised = secret; // Unserialisable (circular): assume the worst.
  }
  if (!serialised.includes(secret)) return cause;
  const redacted = new Error(cause.message.replaceAll(secret, "[redacted]"));
  redacted.name = cause.name;
  return redacted;
}
