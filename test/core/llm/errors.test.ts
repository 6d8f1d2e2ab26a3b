import { describe, expect, it } from "vitest";
import { AppError } from "../../../core/errors/index.js";
import {
  LlmAuthenticationError,
  LlmBadResponseError,
  LlmRateLimitedError,
  LlmTimeoutError,
  LlmUnavailableError,
  redactSecret,
  UnknownProviderError,
} from "../../../core/llm/errors.js";

describe("LLM errors", () => {
  it.each([
    [new LlmRateLimitedError("gemini", { retryAfterSeconds: 26 }), "LlmRateLimitedError", "llm_rate_limited", true],
    [new LlmAuthenticationError("gemini"), "LlmAuthenticationError", "llm_authentication_failed", false],
    [new LlmUnavailableError("openai", { status: 503 }), "LlmUnavailableError", "llm_unavailable", true],
    [new LlmBadResponseError("openai", "not JSON"), "LlmBadResponseError", "llm_bad_response", false],
    [new LlmTimeoutError("openai", 500), "LlmTimeoutError", "llm_timeout", true],
  ])("%s has its name, code, retryability and the llm component", (error, name, code, retryable) => {
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ name, code, retryable });
    expect(error.details).toMatchObject({ component: "llm", provider: error.provider });
  });

  it("passes the cause through", () => {
    const cause = new Error("socket hang up");
    expect(new LlmUnavailableError("openai", { cause }).cause).toBe(cause);
  });

  it("names the configured providers when an unknown one is asked for", () => {
    const error = new UnknownProviderError("claude", ["gemini", "extractive"]);
    expect(error).toMatchObject({ code: "unknown_llm_provider", retryable: false });
    expect(error.message).toContain("gemini, extractive");
  });
});

describe("redactSecret", () => {
  it("scrubs a key the server echoed from the cause's message", () => {
    const cause = new Error("401 Incorrect API key provided: sk-secret-123.");
    const redacted = redactSecret(cause, "sk-secret-123");
    expect(redacted).toBeInstanceOf(Error);
    expect(String(redacted)).not.toContain("sk-secret-123");
    expect(String(redacted)).toContain("[redacted]");
  });

  it("scrubs a key hidden in the cause's other fields", () => {
    const cause = Object.assign(new Error("401"), { error: { message: "bad key sk-secret-123" } });
    expect(JSON.stringify(redactSecret(cause, "sk-secret-123"))).not.toContain("sk-secret-123");
  });

  it("leaves a cause without the key untouched", () => {
    const cause = new Error("503 overloaded");
    expect(redactSecret(cause, "sk-secret-123")).toBe(cause);
    expect(redactSecret(cause, undefined)).toBe(cause);
  });
});
