import { HTTPException } from "hono/http-exception";
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
  // The database refused the configured credentials: an upstream failure, not the caller's.
  source_authentication_failed: 502,
  inline_connections_disabled: 403,
  ingest_too_large: 413,
  embedding_model_mismatch: 409,
  // LLM failures are upstream ones: our key, our request, their capacity; never the caller's fault.
  llm_rate_limited: 503,
  llm_authentication_failed: 502,
  llm_request_rejected: 502,
  llm_bad_response: 502,
  llm_unavailable: 503,
  llm_timeout: 504,
  unknown_llm_provider: 400,
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
    return { status: statusByCode[error.code] as MappedError["status"], body };
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

function mapLlmError(error: LlmError): MappedError {
  const status = statusByCode[error.code] as MappedError["status"];
  const failure = llmFailureMessages[error.code] ?? "failed";
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
