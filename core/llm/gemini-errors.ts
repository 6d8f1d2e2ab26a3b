import { ApiError } from "@google/genai";
import { z } from "zod";
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

const provider = "gemini";

/** Google's error envelope: `{"error":{"code","message","status","details":[…]}}`. */
const googleErrorSchema = z.object({
  error: z.object({
    status: z.string().optional(),
    details: z
      .array(
        z.object({ "@type": z.string().optional(), reason: z.string().optional(), retryDelay: z.string().optional() }),
      )
      .optional(),
  }),
});

/** Turns whatever `@google/genai` threw into one of our typed errors (see ProviderCalls.translate). */
export const translateGeminiError: SdkErrorTranslator = (error, cause, timeoutMs) => {
  if (error instanceof ApiError) return fromStatus(error.status, error.message, cause);
  // The SDK arms `httpOptions.timeout` with a bare AbortController: a timeout surfaces as a plain AbortError.
  if (isAbortError(error)) return new LlmTimeoutError(provider, timeoutMs, { cause });
  if (error instanceof Error && /Incomplete JSON segment|exception parsing stream chunk/.test(error.message)) {
    return new LlmBadResponseError(provider, "malformed stream event", { cause });
  }
  // "fetch failed", "terminated" (the socket dropped mid-body) and the like.
  return new LlmUnavailableError(provider, { cause });
};

function fromStatus(status: number, message: string, cause: unknown): LlmError {
  const body = parseErrorBody(message);
  const reasons = body?.error.details?.map((detail) => detail.reason) ?? [];
  // Gemini refuses a bad key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID, not with 401.
  if (status === 401 || status === 403 || reasons.includes("API_KEY_INVALID")) {
    return new LlmAuthenticationError(provider, { cause });
  }
  if (status === 429) {
    return new LlmRateLimitedError(provider, { retryAfterSeconds: retryDelaySeconds(body), cause });
  }
  if (status === 408 || status >= 500) return new LlmUnavailableError(provider, { status, cause });
  return new LlmRequestRejectedError(provider, { status, cause });
}

/** The SDK puts the JSON error body in the message, after a prefix for errors sent inside a stream. */
function parseErrorBody(message: string): z.infer<typeof googleErrorSchema> | undefined {
  const start = message.indexOf("{");
  if (start < 0) return undefined;
  try {
    const parsed = googleErrorSchema.safeParse(JSON.parse(message.slice(start)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The `google.rpc.RetryInfo` detail's `retryDelay`, a protobuf Duration such as "26s" or "0.5s". */
function retryDelaySeconds(body: z.infer<typeof googleErrorSchema> | undefined): number | undefined {
  const retryInfo = body?.error.details?.find((detail) => detail["@type"]?.endsWith("google.rpc.RetryInfo"));
  const match = retryInfo?.retryDelay?.match(/^(\d+(?:\.\d+)?)s$/);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
