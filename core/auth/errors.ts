import { AppError } from "../errors/index.js";

export class UnauthorizedError extends AppError {
  constructor(message = "a valid API key is required (Authorization: Bearer <key> or x-api-key)") {
    super(message, { code: "unauthorized" });
    this.name = "UnauthorizedError";
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(message, { code: "forbidden" });
    this.name = "ForbiddenError";
  }
}

export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(limit: number, retryAfterSeconds: number) {
    super(`rate limit of ${limit} requests per minute reached; retry in ${retryAfterSeconds} s`, {
      code: "rate_limited",
      details: { limit_per_minute: limit, retry_after_seconds: retryAfterSeconds },
    });
    this.name = "RateLimitedError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
