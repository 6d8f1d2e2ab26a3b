import { describe, expect, it } from "vitest";
import { LlmBadResponseError, type LlmRequest, LlmUnavailableError } from "../../../core/llm/index.js";
import { openAiSuite } from "../../support/llm-doubles/provider-suites.js";
import { collectStream, rejectionOf } from "../../support/llm-doubles/streams.js";

const answer = "The Trailblazer Backpack costs 89.99 [1].";
const request: LlmRequest = { system: "Answer from the data.", messages: [{ role: "user", content: "Price?" }] };

/** How the servers behind an OpenAI-compatible base URL differ when streaming (shared/docs/llm-wire-formats.md). */
describe("OpenAI-compatible streaming as each server speaks it", () => {
  const suite = openAiSuite();
  const { provider } = suite;

  it("vLLM: a role-only first chunk adds no empty delta; the usage chunk with choices: [] is read", async () => {
    suite.double.script({ flavour: "vllm", usageChunk: true });
    const { text, deltas, parts } = await collectStream(provider().stream(request));
    expect(text).toBe(answer);
    expect(deltas[0]).toBe("The ");
    expect(parts.at(-1)).toEqual({
      type: "finish",
      finishReason: "stop",
      usage: { inputTokens: 42, outputTokens: 9, totalTokens: 51 },
    });
  });

  it("Ollama: role repeated in every delta, no role-only chunk", async () => {
    suite.double.script({ flavour: "ollama" });
    const { text, parts } = await collectStream(provider().stream(request));
    expect(text).toBe(answer);
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
  });

  it("llama.cpp: extra `timings` fields are ignored", async () => {
    suite.double.script({ flavour: "llamacpp" });
    expect((await collectStream(provider().stream(request))).text).toBe(answer);
    await expect(provider().generate(request)).resolves.toMatchObject({ text: answer, finishReason: "stop" });
  });

  it("llama.cpp: an error event mid-stream (then no [DONE]) fails the stream after the text so far", async () => {
    suite.double.script({ flavour: "llamacpp", midStreamError: true });
    const deltas: string[] = [];
    const error = await rejectionOf(async () => {
      for await (const part of provider().stream(request)) {
        if (part.type === "text-delta") deltas.push(part.text);
      }
    });
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(String(error)).toContain("mid-stream");
    expect(deltas).toEqual(["The "]);
  });

  it("a stream that has a finish_reason but never sends [DONE] is still complete", async () => {
    suite.double.script({ omitDone: true });
    const { text, parts } = await collectStream(provider().stream(request));
    expect(text).toBe(answer);
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
  });

  it("a stream that ends with neither finish_reason nor [DONE] was cut short: an error, not a quiet end", async () => {
    suite.double.script({ omitFinishReason: true, omitDone: true });
    const error = await rejectionOf(collectStream(provider().stream(request)));
    expect(error).toBeInstanceOf(LlmBadResponseError);
    expect(String(error)).toContain("ended before the answer finished");
  });

  it("a length finish_reason is reported as such, so callers can tell an answer was cut at max tokens", async () => {
    suite.double.script({ finishReason: "length" });
    const { parts } = await collectStream(provider().stream(request));
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "length" });
    await expect(provider().generate(request)).resolves.toMatchObject({ finishReason: "length" });
  });
});
