import { HTTPException } from "hono/http-exception";
import { AppError, ComponentUnavailableError, InvalidInputError, NotFoundError } from "../../../core/errors/index.js";

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface MappedError {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 502 | 503;
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
