export interface AppErrorOptions {
  /** A stable snake_case code clients can branch on. */
  code: string;
  /** Whether the same call may succeed later (a component briefly down, a rate limit). */
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/**
 * Base of every typed error core throws. Core never speaks HTTP: functions/ maps
 * each subclass to a status, and shows `message` to clients only below 500.
 */
export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, options: AppErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = options.code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** A required component (Chroma, Redis, Kafka, a database) cannot be reached. */
export class ComponentUnavailableError extends AppError {
  readonly component: string;

  constructor(component: string, options: { cause?: unknown; message?: string } = {}) {
    super(options.message ?? `${component} is unavailable`, {
      code: "component_unavailable",
      retryable: true,
      cause: options.cause,
      details: { component },
    });
    this.name = "ComponentUnavailableError";
    this.component = component;
  }
}

/** Input that passed the schema but is wrong for the data (an unknown table, a bad field). */
export class InvalidInputError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, { code: "invalid_input", details });
    this.name = "InvalidInputError";
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, { code: "not_found", details });
    this.name = "NotFoundError";
  }
}

/**
 * The `default` of a switch over a closed union (source kinds, providers): a member without its own
 * branch leaves `value` not `never`, so adding a kind without handling it does not compile.
 */
export function unreachable(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${String(value)}`);
}
