import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { isAbortError } from "./abort.js";
import {
  LlmAuthenticationError,
  LlmBadResponseError,
  type LlmError,
  LlmRateLimitedError,
  LlmRequestRejectedError,
  LlmTimeoutError,
  LlmUnavailableError,
} from "./errors.js";
import type { SdkErrorTranslator } from "./provider-calls.js";

const provider = "openai";

/** Turns whatever the `openai` client threw into one of our typed errors (see ProviderCalls.translate). */
export const translateOpenAiError: SdkErrorTranslator = (error, cause, timeoutMs) => {
  // Checked before APIError, which these all extend: they carry no status.
  if (error instanceof APIConnectionTimeoutError) return new LlmTimeoutError(provider, timeoutMs, { cause });
  if (error instanceof APIConnectionError) return new LlmUnavailableError(provider, { cause });
  // The caller did not abort, so the abort was ours: the idle timer cutting off a stalled stream.
  if (error instanceof APIUserAbortError || isAbortError(error)) {
    return new LlmTimeoutError(provider, timeoutMs, { cause });
  }
  if (error instanceof APIError) {
    // No status: an `{"error":…}` event inside a 200 stream (llama.cpp reports failures that way).
    if (error.status === undefined) {
      return new LlmUnavailableError(provider, { cause, message: `${provider} reported an error mid-stream` });
    }
    return fromStatus(error.status, error.headers, cause);
  }
  if (error instanceof SyntaxError) return new LlmBadResponseError(provider, "malformed JSON", { cause });
  return new LlmUnavailableError(provider, { cause });
};

function fromStatus(status: number, headers: Headers | undefined, cause: unknown): LlmError {
  if (status === 401 || status === 403) return new LlmAuthenticationError(provider, { cause });
  if (status === 429)
    return new LlmRateLimitedError(provider, { retryAfterSeconds: retryAfterSeconds(headers), cause });
  if (status === 408 || status === 409 || status >= 500) return new LlmUnavailableError(provider, { status, cause });
  return new LlmRequestRejectedError(provider, { status, cause });
}

/** `retry-after-ms` (OpenAI's own), else `retry-after` in seconds or as an HTTP date. */
export function retryAfterSeconds(headers: Headers | undefined, now = Date.now()): number | undefined {
  const milliseconds = headers?.get("retry-after-ms");
  if (milliseconds && Number.isFinite(Number(milliseconds)) && Number(milliseconds) >= 0) {
    return Number(milliseconds) / 1000;
  }
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}
