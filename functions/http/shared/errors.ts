import { HTTPException } from "hono/http-exception";
import { RateLimitedError, UnauthorizedError } from "../../../core/auth/index.js";
import { AppError, ComponentUnavailableError, InvalidInputError, NotFoundError } from "../../../core/errors/index.js";
import { LlmError, LlmRateLimitedError } from "../../../core/llm/index.js";

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface MappedError {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 502 | 503 | 504;
  body: ErrorBody;
  headers?: Record<string, string>;
}

/** Raised by handlers for request-level problems (bad JSON, too large) that core never sees. */
export class HttpError extends Error {
  readonly status: MappedError["status"];
  readonly code: string;
  readonly details: unknown;

  constructor(status: MappedError["status"], code: string, message: string, details?: unknown) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Typed core errors that are neither "invalid", "not found" nor "unavailable", by code. */
const statusByCode: Record<string, MappedError["status"]> = {
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  // The database refused the configured credentials: an upstream failure, not the caller's.
  source_authentication_failed: 502,
  inline_connections_disabled: 403,
  ingest_too_large: 413,
  sync_too_large: 413,
  sync_in_progress: 409,
  embedding_model_mismatch: 409,
  // A deployment without its model files: the operator's to fix, and retrying will not help.
  embedding_model_unavailable: 503,
  // LLM failures are upstream ones: our key, our request, their capacity; never the caller's fault.
  llm_rate_limited: 503,
  llm_authentication_failed: 502,
  llm_request_rejected: 502,
  llm_bad_response: 502,
  llm_unavailable: 503,
  llm_timeout: 504,
  unknown_llm_provider: 400,
  // A structured query cancelled at QUERY_TIMEOUT_MS: the database did not answer in time.
  query_timeout: 504,
};

/** What a client is told about an upstream LLM failure: the provider's name, never its message (it may echo a key). */
const llmFailureMessages: Record<string, string> = {
  llm_rate_limited: "is rate limiting requests; retry later",
  llm_authentication_failed: "refused the configured credentials",
  llm_request_rejected: "rejected the request",
  llm_bad_response: "sent a reply that could not be used",
  llm_unavailable: "is unavailable",
  llm_timeout: "did not answer in time",
};

const internal: MappedError = {
  status: 500,
  body: { error: { code: "internal_error", message: "Internal server error" } },
};

/**
 * The one mapping from error types to responses. Messages reach clients only below 500,
 * and for 503 only the component's name; everything else becomes a generic 500.
 */
export function mapError(error: unknown): MappedError {
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { status: error.status, body };
  }
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's own request errors, such as malformed JSON in a body.
    return {
      status: error.status as MappedError["status"],
      body: { error: { code: "bad_request", message: error.message } },
    };
  }
  if (error instanceof ComponentUnavailableError) {
    return {
      status: 503,
      body: {
        error: {
          code: error.code,
          message: `${error.component} is unavailable`,
          details: { component: error.component },
        },
      },
      headers: { "Retry-After": "5" },
    };
  }
  if (error instanceof InvalidInputError) {
    return { status: 400, body: { error: { code: error.code, message: error.message, details: error.details } } };
  }
  if (error instanceof NotFoundError) {
    return { status: 404, body: { error: { code: error.code, message: error.message, details: error.details } } };
  }
  if (error instanceof LlmError && error.code in statusByCode) {
    return mapLlmError(error);
  }
  if (error instanceof AppError && error.code in statusByCode) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    const mapped: MappedError = { status: statusByCode[error.code] as MappedError["status"], body };
    if (error instanceof RateLimitedError) mapped.headers = { "Retry-After": String(error.retryAfterSeconds) };
    if (error instanceof UnauthorizedError)
      mapped.headers = { "WWW-Authenticate": 'Bearer realm="chat-with-your-data"' };
    return mapped;
  }
  if (error instanceof AppError && error.retryable) {
    return {
      status: 503,
      body: { error: { code: error.code, message: "A required component is unavailable" } },
      headers: { "Retry-After": "5" },
    };
  }
  return internal;
}

/** The provider answered with a server error of its own (not 503, which says "come back later"). */
function upstreamServerError(error: LlmError): boolean {
  const status = (error.details as { status?: unknown } | undefined)?.status;
  return error.code === "llm_unavailable" && typeof status === "number" && status >= 500 && status !== 503;
}

function mapLlmError(error: LlmError): MappedError {
  const failedUpstream = upstreamServerError(error);
  const status = failedUpstream ? 502 : (statusByCode[error.code] as MappedError["status"]);
  const failure = failedUpstream ? "failed with a server error" : (llmFailureMessages[error.code] ?? "failed");
  const mapped: MappedError = {
    status,
    body: {
      error: {
        code: error.code,
        message: status < 500 ? error.message : `The LLM provider '${error.provider}' ${failure}`,
        details: { provider: error.provider },
      },
    },
  };
  if (error instanceof LlmRateLimitedError) {
    mapped.headers = { "Retry-After": String(Math.max(1, Math.ceil(error.retryAfterSeconds ?? 5))) };
  } else if (status === 503) {
    mapped.headers = { "Retry-After": "5" };
  }
  return mapped;
}
