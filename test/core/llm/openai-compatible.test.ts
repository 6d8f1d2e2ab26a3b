import { beforeEach, describe, expect, it } from "vitest";
import {
  LlmAuthenticationError,
  LlmBadResponseError,
  LlmRateLimitedError,
  LlmTimeoutError,
  LlmUnavailableError,
  OpenAiCompatibleProvider,
} from "../../../core/llm/index.js";
import { startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import {
  openAiSuite,
  question,
  quickRetries,
  conversation as request,
} from "../../support/llm-doubles/provider-suites.js";
import { abortAfterFirstDelta, collectStream, rejectionOf } from "../../support/llm-doubles/streams.js";
import { waitFor } from "../../support/processes.js";

const apiKey = "sk-test-openai-key-0123";
describe("OpenAiCompatibleProvider against a chat-completions double", () => {
  const suite = openAiSuite({ apiKey }, { apiKey, model: "llama3.1", ...quickRetries });
  const openai = suite.provider;
  beforeEach(() => suite.double.script());

  it("sends the system prompt first, then the history and the question, with a bearer key", async () => {
    const result = await openai().generate(request);

    expect(result).toEqual({
      text: "The Trailblazer Backpack costs 89.99 [1].",
      finishReason: "stop",
      usage: { inputTokens: 42, outputTokens: 9, totalTokens: 51 },
    });
    expect(suite.double.requests).toHaveLength(1);
    const [sent] = suite.double.requests;
    expect(sent?.path).toBe("/v1/chat/completions");
    expect(sent?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(sent?.body).toMatchObject({
      model: "llama3.1",
      messages: [
        { role: "system", content: request.system },
        { role: "user", content: "What does the Trailblazer cost?" },
        { role: "assistant", content: "It costs 89.99 [1]." },
        { role: "user", content: question },
      ],
      temperature: 0.2,
      max_tokens: 256,
    });
  });

  it("streams deltas that reassemble to the full text, then one finish part", async () => {
    const { text, deltas, parts } = await collectStream(openai().stream({ ...request, temperature: 0.7 }));

    expect(text).toBe("The Trailblazer Backpack costs 89.99 [1].");
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas).not.toContain("");
    expect(parts.at(-1)).toEqual({ type: "finish", finishReason: "stop", usage: undefined });
    expect(suite.double.requests[0]?.body).toMatchObject({ stream: true, temperature: 0.7 });
  });

  it("retries a 429 itself, once, and succeeds", async () => {
    suite.double.script({ statuses: [429, 200], errorHeaders: { "retry-after": "0" } });
    const { text } = await collectStream(openai().stream(request));
    expect(text).toBe("The Trailblazer Backpack costs 89.99 [1].");
    expect(suite.double.requests).toHaveLength(2);
  });

  it("does not let the client retry as well (maxRetries: 0 in the client)", async () => {
    suite.double.script({ statuses: [429, 429, 429, 429, 429, 429], errorHeaders: { "retry-after": "0" } });
    const error = await rejectionOf(openai({ maxRetries: 1 }).generate(request));
    expect(error).toBeInstanceOf(LlmRateLimitedError);
    // Ours: 1 + 1 retry. Had the client retried too, the double would have seen 6.
    expect(suite.double.requests).toHaveLength(2);
  });

  it("surfaces a lasting 429 with the server's retry-after", async () => {
    suite.double.script({ statuses: [429], errorHeaders: { "retry-after": "7" } });
    const error = await rejectionOf(openai().generate(request));
    expect(error).toBeInstanceOf(LlmRateLimitedError);
    expect(error).toMatchObject({ retryAfterSeconds: 7 });
    // 7 s is over the cap, so it is surfaced at once rather than sat out.
    expect(suite.double.requests).toHaveLength(1);
  });

  it("reads OpenAI's retry-after-ms before retry-after", async () => {
    suite.double.script({ statuses: [429, 429, 429], errorHeaders: { "retry-after-ms": "20", "retry-after": "9" } });
    const error = await rejectionOf(openai().generate(request));
    expect(error).toMatchObject({ retryAfterSeconds: 0.02 });
    expect(suite.double.requests).toHaveLength(3);
  });

  it("retries 5xx, then reports the server unavailable", async () => {
    suite.double.script({ statuses: [500, 503, 502] });
    const error = await rejectionOf(openai().generate(request));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(suite.double.requests).toHaveLength(3);
  });

  it("reports a refused key as LlmAuthenticationError, scrubbing the key the server echoed", async () => {
    const badKey = "sk-bad-openai-key-9876";
    const error = await rejectionOf(openai({ apiKey: badKey }).generate(request));
    expect(error).toBeInstanceOf(LlmAuthenticationError);
    expect(error).toMatchObject({ retryable: false });
    if (!(error instanceof Error)) throw error;
    expect(error.message).not.toContain(badKey);
    // The double echoed the key (as OpenAI does); the cause that reaches the logs must not carry it.
    expect(String(error.cause)).toContain("Incorrect API key provided");
    expect(JSON.stringify({ message: String(error.cause), cause: error.cause })).not.toContain(badKey);
    expect(suite.double.requests).toHaveLength(1);
  });

  it('reads vLLM\'s bare {"error":"Unauthorized"} as a refused key too', async () => {
    suite.double.script({ flavour: "vllm" });
    const error = await rejectionOf(openai({ apiKey: "wrong" }).generate(request));
    expect(error).toBeInstanceOf(LlmAuthenticationError);
  });

  it("cuts off a server that never sends headers at the timeout", async () => {
    suite.double.script({ hang: "before-headers" });
    const started = performance.now();
    const error = await rejectionOf(openai({ timeoutMs: 300 }).generate(request));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(LlmTimeoutError);
    // Not before the timeout; that it ends at all is the cut (the double never answers), and it is not retried.
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(suite.double.requests).toHaveLength(1);
  });

  it("cuts off a stream whose body stalls, with its own idle timeout, and closes the connection", async () => {
    suite.double.script({ hang: "mid-stream" });
    const started = performance.now();
    const deltas: string[] = [];
    const error = await rejectionOf(async () => {
      for await (const part of openai({ idleTimeoutMs: 300 }).stream(request)) {
        if (part.type === "text-delta") deltas.push(part.text);
      }
    });
    expect(error).toBeInstanceOf(LlmTimeoutError);
    // The idle timer fired (300 ms), not the call's own 2 s one: the error names which.
    expect(error).toMatchObject({ timeoutMs: 300 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(deltas).toEqual(["The "]);
    await suite.double.requests[0]?.closed;
    expect(suite.double.requests[0]?.closedEarly).toBe(true);
  });

  it("closes the connection when the caller aborts mid-stream, and does not end quietly", async () => {
    suite.double.script({ chunks: Array.from({ length: 20 }, (_, index) => `word${index} `), chunkDelayMs: 50 });
    const { deltas, error } = await abortAfterFirstDelta((signal) => openai().stream(request, { signal }));
    expect(error).toMatchObject({ name: "AbortError" });
    expect(deltas.length).toBeLessThan(20);
    const [sent] = suite.double.requests;
    await sent?.closed;
    expect(sent?.closedEarly).toBe(true);
    expect(sent?.events).toContain("close");
  });

  it("aborts a request still waiting for headers", async () => {
    suite.double.script({ hang: "before-headers" });
    const controller = new AbortController();
    const pending = rejectionOf(openai().generate(request, { signal: controller.signal }));
    // Aborted once the server holds the request, so it is the wait for headers that is cut short.
    await waitFor(async () => suite.double.requests.length === 1, 10_000, "the request to reach the double");
    controller.abort();
    const error = await pending;
    expect(error).toMatchObject({ name: "AbortError" });
    await suite.double.requests[0]?.closed;
    expect(suite.double.requests[0]?.closedEarly).toBe(true);
  });

  it("refuses a reply that is not JSON (the client hands it back as a string)", async () => {
    suite.double.script({ nonJson: true });
    const error = await rejectionOf(openai().generate(request));
    expect(error).toBeInstanceOf(LlmBadResponseError);
    expect(String(error)).toContain("not JSON");
  });

  it("sends a placeholder key when none is configured, since the client insists on one", async () => {
    const open = await startOpenAiDouble();
    try {
      const provider = new OpenAiCompatibleProvider({
        baseUrl: open.baseUrl,
        model: "llama3.1",
        timeoutMs: 2_000,
        maxRetries: 0,
        temperature: 0.2,
        maxTokens: 256,
      });
      await expect(provider.generate(request)).resolves.toMatchObject({ finishReason: "stop" });
      expect(open.requests[0]?.headers.authorization).toBe("Bearer not-needed");
    } finally {
      await open.close();
    }
  });
});
