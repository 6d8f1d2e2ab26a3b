import { beforeEach, describe, expect, it } from "vitest";
import {
  LlmAuthenticationError,
  LlmBadResponseError,
  LlmRateLimitedError,
  LlmTimeoutError,
  LlmUnavailableError,
} from "../../../core/llm/index.js";
import {
  geminiSuite,
  question,
  quickRetries,
  conversation as request,
} from "../../support/llm-doubles/provider-suites.js";
import { abortAfterFirstDelta, collectStream, rejectionOf } from "../../support/llm-doubles/streams.js";

const apiKey = "test-gemini-key-0123";
describe("GeminiProvider against a Gemini API double", () => {
  const suite = geminiSuite(apiKey, { model: "gemini-2.5-flash", apiVersion: "v1beta", ...quickRetries });
  const gemini = suite.provider;
  beforeEach(() => suite.double.script());

  it("sends the system instruction, the history and the question in order, with the key in its header", async () => {
    const result = await gemini().generate(request);

    expect(result).toEqual({
      text: "The Trailblazer Backpack costs 89.99 [1].",
      finishReason: "stop",
      usage: { inputTokens: 42, outputTokens: 9, totalTokens: 51 },
    });
    expect(suite.double.requests).toHaveLength(1);
    const [sent] = suite.double.requests;
    expect(sent?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(sent?.headers["x-goog-api-key"]).toBe(apiKey);
    expect(sent?.body).toMatchObject({
      contents: [
        { role: "user", parts: [{ text: "What does the Trailblazer cost?" }] },
        { role: "model", parts: [{ text: "It costs 89.99 [1]." }] },
        { role: "user", parts: [{ text: question }] },
      ],
      systemInstruction: { parts: [{ text: request.system }] },
      generationConfig: { temperature: 0.2, maxOutputTokens: 256 },
    });
  });

  it("lets a request override temperature and max tokens, and honours the pinned API version", async () => {
    await gemini({ apiVersion: "v1" }).generate({ ...request, temperature: 0.9, maxTokens: 64 });
    expect(suite.double.requests[0]?.path).toBe("/v1/models/gemini-2.5-flash:generateContent");
    expect(suite.double.requests[0]?.body).toMatchObject({
      generationConfig: { temperature: 0.9, maxOutputTokens: 64 },
    });
  });

  it("streams deltas over SSE that reassemble to the full text, then one finish part", async () => {
    const { text, deltas, parts } = await collectStream(gemini().stream(request));

    expect(text).toBe("The Trailblazer Backpack costs 89.99 [1].");
    expect(deltas.length).toBeGreaterThan(3);
    expect(parts.at(-1)).toEqual({
      type: "finish",
      finishReason: "stop",
      usage: { inputTokens: 42, outputTokens: 9, totalTokens: 51 },
    });
    expect(parts.filter((part) => part.type === "finish")).toHaveLength(1);
    expect(suite.double.requests[0]?.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    expect(suite.double.requests[0]?.query).toEqual({ alt: "sse" });
    expect(suite.double.requests[0]?.body).toMatchObject({ systemInstruction: { parts: [{ text: request.system }] } });
  });

  it("retries a 429 and succeeds, after the RetryInfo delay", async () => {
    suite.double.script({ statuses: [429, 200], retryDelay: "0.2s" });
    const started = performance.now();
    const result = await gemini().generate(request);
    expect(result.text).toBe("The Trailblazer Backpack costs 89.99 [1].");
    expect(suite.double.requests).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("retries a 429 when opening a stream", async () => {
    suite.double.script({ statuses: [429], retryDelay: "0.01s" });
    const { text } = await collectStream(gemini().stream(request));
    expect(text).toBe("The Trailblazer Backpack costs 89.99 [1].");
    expect(suite.double.requests).toHaveLength(2);
  });

  it("surfaces a lasting 429 as LlmRateLimitedError carrying the RetryInfo delay", async () => {
    suite.double.script({ statuses: [429, 429, 429, 429], retryDelay: "0.01s" });
    const error = await rejectionOf(gemini().generate(request));
    expect(error).toBeInstanceOf(LlmRateLimitedError);
    expect(error).toMatchObject({ retryAfterSeconds: 0.01, retryable: true });
    expect(suite.double.requests).toHaveLength(3);
  });

  it("does not sit out a retryDelay longer than the cap", async () => {
    suite.double.script({ statuses: [429], retryDelay: "26s" });
    const error = await rejectionOf(gemini().generate(request));
    expect(error).toBeInstanceOf(LlmRateLimitedError);
    expect(error).toMatchObject({ retryAfterSeconds: 26 });
    expect(suite.double.requests).toHaveLength(1);
  });

  it("retries 5xx with backoff, then reports the provider unavailable", async () => {
    suite.double.script({ statuses: [503, 500, 503] });
    const error = await rejectionOf(gemini().generate(request));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error).toMatchObject({ details: { status: 503 } });
    expect(suite.double.requests).toHaveLength(3);
  });

  it("reports a bad key (400 API_KEY_INVALID) as LlmAuthenticationError, without the key, and does not retry", async () => {
    const badKey = "bad-gemini-key-9876";
    const error = await rejectionOf(gemini({ apiKey: badKey }).generate(request));
    expect(error).toBeInstanceOf(LlmAuthenticationError);
    expect(error).toMatchObject({ retryable: false });
    expect(String(error)).not.toContain(badKey);
    expect(suite.double.requests).toHaveLength(1);
    expect(suite.double.requests[0]?.headers["x-goog-api-key"]).toBe(badKey);
  });

  it("cuts off a server that never answers at the timeout", async () => {
    suite.double.script({ hang: "before-headers" });
    const started = performance.now();
    const error = await rejectionOf(gemini({ timeoutMs: 300 }).generate(request));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(LlmTimeoutError);
    // Not before the timeout; that it ends at all is the cut, since the double never answers.
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // A timeout is not retried: it already spent the call's whole budget.
    expect(suite.double.requests).toHaveLength(1);
  });

  it("cuts off a stream that stalls after its first event, since the SDK timeout stays armed", async () => {
    suite.double.script({ hang: "mid-stream" });
    const deltas: string[] = [];
    const error = await rejectionOf(async () => {
      for await (const part of gemini({ timeoutMs: 400 }).stream(request)) {
        if (part.type === "text-delta") deltas.push(part.text);
      }
    });
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(deltas).toEqual(["The "]);
    await suite.double.requests[0]?.closed;
    expect(suite.double.requests[0]?.closedEarly).toBe(true);
  });

  it("reports an error event inside the stream as unavailable", async () => {
    suite.double.script({ midStreamError: true });
    const error = await rejectionOf(collectStream(gemini().stream(request)));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(suite.double.requests).toHaveLength(1);
  });

  it("refuses a stream that ends without a finishReason", async () => {
    suite.double.script({ omitFinishReason: true });
    const error = await rejectionOf(collectStream(gemini().stream(request)));
    expect(error).toBeInstanceOf(LlmBadResponseError);
  });

  it("closes the connection when the caller aborts mid-stream, rejecting with the abort", async () => {
    suite.double.script({ chunks: Array.from({ length: 20 }, (_, index) => `word${index} `), chunkDelayMs: 50 });
    const { deltas, error } = await abortAfterFirstDelta((signal) => gemini().stream(request, { signal }));
    expect(error).toMatchObject({ name: "AbortError" });
    expect(deltas.length).toBeLessThan(20);
    const [sent] = suite.double.requests;
    await sent?.closed;
    expect(sent?.closedEarly).toBe(true);
    expect(sent?.events).toContain("close");
  });

  it("closes the connection when the consumer stops reading", async () => {
    suite.double.script({ chunks: Array.from({ length: 20 }, (_, index) => `word${index} `), chunkDelayMs: 50 });
    for await (const part of gemini().stream(request)) {
      if (part.type === "text-delta") break;
    }
    await suite.double.requests[0]?.closed;
    expect(suite.double.requests[0]?.closedEarly).toBe(true);
  });

  it("sends nothing when the signal has already aborted", async () => {
    const error = await rejectionOf(gemini().generate(request, { signal: AbortSignal.abort() }));
    expect(error).toMatchObject({ name: "AbortError" });
    expect(suite.double.requests).toHaveLength(0);
  });
});
