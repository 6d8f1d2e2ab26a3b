import { describe, expect, it } from "vitest";
import { systemPrompt, toolSystemPrompt } from "../../../core/chat/index.js";
import { startGeminiDouble } from "../../support/llm-doubles/gemini-double.js";
import { startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { chatClient, toolsRun } from "./chat-tools-fixture.js";

// docs/tools.md: "`CHAT_MAX_TOOL_CALLS=0` turns tools off for every provider."

const answer = "The Summit Tent weighs 2.1 kg [1].";
const question = "What does the Summit Tent weigh?";

describe("CHAT_MAX_TOOL_CALLS=0 with the OpenAI-compatible provider: the request declares no tools", () => {
  const apiKey = "sk-test-tools-off-2323";
  // `fixture` keeps the default bound (tools offered), `bounded` has CHAT_MAX_TOOL_CALLS=0.
  const run = toolsRun(
    "toolsoffopenai",
    () => startOpenAiDouble({ apiKey }),
    (double) => ({ OPENAI_BASE_URL: double.baseUrl, OPENAI_API_KEY: apiKey, LLM_PROVIDER: "openai" }),
    0,
  );
  const sent = (index: number) => run.double.requests[index]?.body as Record<string, unknown>;
  const systemOf = (body: Record<string, unknown>) =>
    (body.messages as { role: string; content: string }[]).filter((message) => message.role === "system");

  it("control: with the default bound the same chat offers search and query", async () => {
    run.double.script({ text: answer });
    const { status, body } = await chatClient(() => run.fixture.context, run.fixture.source).chat({
      message: question,
    });
    expect(status).toBe(200);
    expect(body.response).toBe(answer);
    expect(run.double.requests).toHaveLength(1);
    expect((sent(0).tools as { function: { name: string } }[]).map((tool) => tool.function.name)).toEqual([
      "search",
      "query",
    ]);
    expect(sent(0).tool_choice).toBe("auto");
    expect(systemOf(sent(0))).toEqual([{ role: "system", content: toolSystemPrompt }]);
  });

  for (const mode of ["chat", "stream"] as const) {
    it(`sends neither tools nor tool_choice, and the plain system prompt (${mode})`, async () => {
      run.double.script({ turns: [{ text: answer }] });
      const client = chatClient(() => run.bounded.context, run.bounded.source);
      if (mode === "chat") {
        const { status, body } = await client.chat({ message: question });
        expect(status).toBe(200);
        expect(body.response).toBe(answer);
        expect(body.tool_calls).toEqual([]);
        expect(body.queries).toEqual([]);
      } else {
        const events = await client.stream({ message: question });
        expect(events.map((event) => event.event).filter((name) => name.startsWith("tool_"))).toEqual([]);
        const done = events.find((event) => event.event === "done");
        expect(done?.data.response).toBe(answer);
        expect(sent(0).stream).toBe(true);
      }
      expect(run.double.requests).toHaveLength(1);
      expect(Object.keys(sent(0))).not.toContain("tools");
      expect(Object.keys(sent(0))).not.toContain("tool_choice");
      expect(systemOf(sent(0))).toEqual([{ role: "system", content: systemPrompt }]);
    });
  }
});

describe("CHAT_MAX_TOOL_CALLS=0 with the Gemini provider: the request declares no functions", () => {
  const apiKey = "gemini-tools-off-9191";
  const run = toolsRun(
    "toolsoffgemini",
    () => startGeminiDouble({ apiKey }),
    (double) => ({ GEMINI_API_KEY: apiKey, GEMINI_BASE_URL: double.url, LLM_PROVIDER: "gemini" }),
    0,
  );
  const sent = (index: number) => run.double.requests[index]?.body as Record<string, unknown>;
  const systemText = (body: Record<string, unknown>) =>
    (body.systemInstruction as { parts: { text: string }[] }).parts.map((part) => part.text);

  it("control: with the default bound the same chat declares search and query", async () => {
    run.double.script({ text: answer });
    const { status, body } = await chatClient(() => run.fixture.context, run.fixture.source).chat({
      message: question,
    });
    expect(status).toBe(200);
    expect(body.response).toBe(answer);
    expect(run.double.requests).toHaveLength(1);
    const tools = sent(0).tools as { functionDeclarations: { name: string }[] }[];
    expect(tools.flatMap((tool) => tool.functionDeclarations.map((declaration) => declaration.name))).toEqual([
      "search",
      "query",
    ]);
    expect(sent(0).toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });
    expect(systemText(sent(0))).toEqual([toolSystemPrompt]);
  });

  for (const mode of ["chat", "stream"] as const) {
    it(`sends neither tools nor toolConfig, and the plain system prompt (${mode})`, async () => {
      run.double.script({ turns: [{ text: answer }] });
      const client = chatClient(() => run.bounded.context, run.bounded.source);
      if (mode === "chat") {
        const { status, body } = await client.chat({ message: question });
        expect(status).toBe(200);
        expect(body.response).toBe(answer);
        expect(body.tool_calls).toEqual([]);
      } else {
        const events = await client.stream({ message: question });
        expect(events.map((event) => event.event).filter((name) => name.startsWith("tool_"))).toEqual([]);
        expect(events.find((event) => event.event === "done")?.data.response).toBe(answer);
        expect(run.double.requests[0]?.path).toMatch(/:streamGenerateContent$/);
      }
      expect(run.double.requests).toHaveLength(1);
      expect(Object.keys(sent(0))).not.toContain("tools");
      expect(Object.keys(sent(0))).not.toContain("toolConfig");
      expect(systemText(sent(0))).toEqual([systemPrompt]);
    });
  }
});
