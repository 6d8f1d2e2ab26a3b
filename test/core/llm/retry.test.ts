import { afterEach, describe, expect, it, vi } from "vitest";
import {
  LlmAuthenticationError,
  LlmRateLimitedError,
  LlmTimeoutError,
  LlmUnavailableError,
} from "../../../core/llm/errors.js";
import { type RetryOptions, retryDelayMs, withRetry } from "../../../core/llm/retry.js";
import { rejectionOf } from "../../support/llm-doubles/streams.js";

const fast: RetryOptions = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 1_000 };

/** An operation that fails with each of `failures` in turn, then answers "ok". */
function failingThen(...failures: unknown[]) {
  return vi.fn(async (attempt: number) => {
    const failure = failures[attempt];
    if (failure !== undefined) throw failure;
    return "ok";
  });
}

describe("withRetry", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("retries retryable failures until one attempt succeeds", async () => {
    const operation = failingThen(new LlmUnavailableError("gemini"), new LlmRateLimitedError("gemini"));
    await expect(withRetry(operation, fast)).resolves.toBe("ok");
    expect(operation).toHaveBeenCalledTimes(3);
  });

  it("gives up after maxRetries and rethrows the last failure", async () => {
    const last = new LlmUnavailableError("openai", { status: 503 });
    const operation = failingThen(new LlmUnavailableError("openai"), new LlmUnavailableError("openai"), last);
    expect(await rejectionOf(withRetry(operation, fast))).toBe(last);
    expect(operation).toHaveBeenCalledTimes(3);
  });

  it.each([
    ["a bad key", new LlmAuthenticationError("gemini")],
    ["a timeout (its time budget is spent)", new LlmTimeoutError("gemini", 100)],
    ["an untyped error", new Error("boom")],
  ])("does not retry %s", async (_label, failure) => {
    const operation = failingThen(failure);
    expect(await rejectionOf(withRetry(operation, fast))).toBe(failure);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it("waits as long as a rate-limit error asks", async () => {
    vi.useFakeTimers();
    const operation = failingThen(new LlmRateLimitedError("gemini", { retryAfterSeconds: 3 }));
    const result = withRetry(operation, { ...fast, maxRetryAfterMs: 10_000 });
    await vi.advanceTimersByTimeAsync(2_999);
    expect(operation).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe("ok");
    expect(operation).toHaveBeenCalledTimes(2);
  });

  it("surfaces a rate limit at once when the requested wait is over the cap", async () => {
    const failure = new LlmRateLimitedError("gemini", { retryAfterSeconds: 26 });
    const operation = failingThen(failure);
    expect(await rejectionOf(withRetry(operation, { ...fast, maxRetryAfterMs: 10_000 }))).toBe(failure);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it("stops waiting when the signal aborts, rejecting with its reason", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const operation = failingThen(new LlmUnavailableError("openai"));
    const result = rejectionOf(
      withRetry(operation, { ...fast, baseDelayMs: 5_000, maxDelayMs: 5_000, signal: controller.signal }),
    );
    await vi.advanceTimersByTimeAsync(10);
    const reason = new Error("client went away");
    controller.abort(reason);
    expect(await result).toBe(reason);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it("makes no attempt once the signal has aborted", async () => {
    const operation = failingThen();
    const error = await rejectionOf(withRetry(operation, { ...fast, signal: AbortSignal.abort() }));
    expect(error).toMatchObject({ name: "AbortError" });
    expect(operation).not.toHaveBeenCalled();
  });
});

describe("retryDelayMs", () => {
  const delays: RetryOptions = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };
  const failure = new LlmUnavailableError("openai");

  it("doubles per attempt, with between half and all of it as jitter", () => {
    expect(retryDelayMs(failure, 0, { ...delays, random: () => 0 })).toBe(50);
    expect(retryDelayMs(failure, 0, { ...delays, random: () => 0.999 })).toBeCloseTo(100, 0);
    expect(retryDelayMs(failure, 2, { ...delays, random: () => 0 })).toBe(200);
  });

  it("never exceeds maxDelayMs", () => {
    expect(retryDelayMs(failure, 20, { ...delays, random: () => 0.999 })).toBeLessThanOrEqual(1_000);
  });

  it("uses the rate limit's own wait, without jitter, up to the cap", () => {
    expect(retryDelayMs(new LlmRateLimitedError("gemini", { retryAfterSeconds: 2 }), 0, delays)).toBe(2_000);
    expect(retryDelayMs(new LlmRateLimitedError("gemini", { retryAfterSeconds: 6 }), 0, delays)).toBeUndefined();
  });
});
