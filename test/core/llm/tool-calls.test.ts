import { describe, expect, it } from "vitest";
import type { LlmRequest, LlmToolDefinition } from "../../../core/llm/index.js";
import type { OpenAiFlavour } from "../../support/llm-doubles/openai-double.js";
import { geminiSuite, openAiSuite } from "../../support/llm-doubles/provider-suites.js";
import { collectStream } from "../../support/llm-doubles/streams.js";

const lookup: LlmToolDefinition = {
  name: "lookup",
  description: "Looks a product up",
  parameters: { type: "object", properties: { sku: { type: "string" } }, required: ["sku"] },
};
const request: LlmRequest = {
  system: "Answer from the data.",
  messages: [{ role: "user", content: "Price of SD-1 and SD-2?" }],
  tools: [lookup],
};
const args = { sku: "SD-1", note: 'quotes " and, commas {}' };

describe("tool calls read from each OpenAI-compatible server's stream, whole or in pieces", () => {
  const suite = openAiSuite();
  const { provider } = suite;

  for (const flavour of ["openai", "vllm", "ollama", "llamacpp"] satisfies OpenAiFlavour[]) {
    for (const callChunks of ["split", "whole"] as const) {
      it(`${flavour}, calls sent ${callChunks}: two calls joined by index, then finish "tool-calls"`, async () => {
        const calls = [
          { name: "lookup", arguments: args, id: "call_1" },
          { name: "lookup", arguments: { sku: "SD-2" }, id: "call_2" },
        ];
        suite.double.script({ flavour, turns: [{ calls, callChunks }] });
        const { text, parts } = await collectStream(provider().stream(request));
        expect(text).toBe("");
        expect(parts).toEqual([
          {
            type: "tool-call",
            call: { id: "call_1", name: "lookup", arguments: args, argumentsText: JSON.stringify(args) },
          },
          {
            type: "tool-call",
            call: { id: "call_2", name: "lookup", arguments: { sku: "SD-2" }, argumentsText: '{"sku":"SD-2"}' },
          },
          { type: "finish", finishReason: "tool-calls", usage: undefined },
        ]);
        const sent = suite.double.requests[0]?.body as { tools: unknown[]; tool_choice: string };
        expect(sent.tools).toEqual([{ type: "function", function: lookup }]);
        expect(sent.tool_choice).toBe("auto");
      });
    }
  }

  it("a whole reply: calls with their text kept, arguments that are not JSON left unparsed", async () => {
    suite.double.script({ turns: [{ calls: [{ name: "lookup", arguments: '{"sku": "SD', id: "call_9" }] }] });
    const result = await provider().generate({ ...request, toolChoice: "none" });
    expect(result.finishReason).toBe("tool-calls");
    expect(result.toolCalls).toEqual([
      { id: "call_9", name: "lookup", arguments: undefined, argumentsText: '{"sku": "SD' },
    ]);
    const sent = suite.double.requests[0]?.body as { tool_choice?: string } | undefined;
    expect(sent?.tool_choice).toBe("none");
  });

  it("a plain answer is unchanged by tools on offer", async () => {
    suite.double.script({ text: "No calls needed." });
    const result = await provider().generate(request);
    expect(result).toMatchObject({ text: "No calls needed.", finishReason: "stop" });
    expect(result.toolCalls).toBeUndefined();
  });
});

describe("Gemini function calls, whole and streamed", () => {
  const suite = geminiSuite("gemini-key-tools");
  const { provider } = suite;

  it("text beside a call: the text streams, the call comes whole, the finish says tool-calls and keeps the turn", async () => {
    suite.double.script({
      turns: [{ text: "Let me look.", calls: [{ name: "lookup", args, thoughtSignature: "c2ln" }] }],
    });
    const { text, parts } = await collectStream(provider().stream(request));
    expect(text).toBe("Let me look.");
    expect(parts.filter((part) => part.type === "tool-call")).toEqual([
      { type: "tool-call", call: { id: undefined, name: "lookup", arguments: args } },
    ]);
    const finish = parts.at(-1);
    expect(finish).toMatchObject({ type: "finish", finishReason: "tool-calls" });
    // Every part as received, so the next request can repeat the turn with its signature.
    expect(finish?.type === "finish" && finish.native).toEqual({
      role: "model",
      parts: [
        { text: "Let " },
        { text: "me " },
        { text: "look." },
        { functionCall: { name: "lookup", args }, thoughtSignature: "c2ln" },
      ],
    });
  });

  it("a whole reply with two calls, one with an id; a plain answer is unchanged", async () => {
    suite.double.script({
      turns: [
        {
          calls: [
            { name: "lookup", args },
            { name: "lookup", args: { sku: "SD-2" }, id: "fc-2" },
          ],
        },
      ],
    });
    const result = await provider().generate(request);
    expect(result.finishReason).toBe("tool-calls");
    expect(result.toolCalls).toEqual([
      { id: undefined, name: "lookup", arguments: args },
      { id: "fc-2", name: "lookup", arguments: { sku: "SD-2" } },
    ]);
    const sent = suite.double.requests[0]?.body as {
      tools: { functionDeclarations: unknown[] }[];
      toolConfig: unknown;
    };
    expect(sent.tools).toEqual([
      {
        functionDeclarations: [
          { name: "lookup", description: lookup.description, parametersJsonSchema: lookup.parameters },
        ],
      },
    ]);
    expect(sent.toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });

    suite.double.script({ text: "Plain." });
    const plain = await provider().generate(request);
    expect(plain).toMatchObject({ text: "Plain.", finishReason: "stop" });
    expect(plain.toolCalls).toBeUndefined();
  });
});
