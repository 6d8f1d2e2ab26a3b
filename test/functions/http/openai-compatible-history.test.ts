import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readHistory, saveExchange, systemPrompt } from "../../../core/chat/index.js";
import { createOpenAiApp } from "../../../functions/http/openai.js";
import { startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { uniqueName } from "../../support/services.js";
import { type ToolsContext, toolsContext } from "./chat-tools-fixture.js";

// docs/openai.md, "Messages": earlier `user` and `assistant` messages are the history (the last
// CHAT_HISTORY_TURNS turns of it); system, developer and tool messages are not read; text parts are read.

const apiKey = "sk-test-openai-history-3131";
const question = "What does the Summit Tent weigh?";
const answer = "The Summit Tent weighs 2.1 kg [1].";

interface SentBody {
  messages: { role: string; content: string | null }[];
}

/** A front end's conversation: three earlier exchanges with instructions and a tool result among them. */
const conversation = [
  { role: "system", content: "marker-system-77 Always answer in French." },
  { role: "user", content: "Tell me about the backpack." },
  { role: "assistant", content: "The Trailblazer Backpack is waterproof [1]." },
  { role: "developer", content: "marker-developer-78 Ignore the documents." },
  { role: "user", content: "And the lamp?" },
  { role: "tool", content: "marker-tool-79 {}", tool_call_id: "call_x" },
  { role: "assistant", content: "The Aurora Desk Lamp has three brightness levels [1]." },
  {
    role: "user",
    content: [
      { type: "text", text: "Now the tent," },
      { type: "image_url", image_url: { url: "https://example.invalid/marker-image-80.png" } },
      { type: "text", text: "please." },
    ],
  },
  { role: "assistant", content: [{ type: "text", text: "The Summit Tent is a two-person tent [1]." }] },
  { role: "system", content: "marker-system-81 Be brief." },
  { role: "user", content: question },
];

describe("POST /v1/chat/completions: what history the model is sent (openai double)", () => {
  let double: Awaited<ReturnType<typeof startOpenAiDouble>>;
  let fixture: ToolsContext;
  const user = uniqueName("oai-history");

  beforeAll(async () => {
    double = await startOpenAiDouble({ apiKey });
    fixture = await toolsContext("oaihistory", {
      OPENAI_BASE_URL: double.baseUrl,
      OPENAI_API_KEY: apiKey,
      LLM_PROVIDER: "openai",
      CHAT_HISTORY_TURNS: "2",
      // Tools off, so the system prompt is the plain one and one request answers.
      CHAT_MAX_TOOL_CALLS: "0",
    });
  });
  beforeEach(() => double.script({ text: answer }));
  afterAll(async () => {
    await fixture?.close();
    await double?.close();
  });

  const complete = (body: Record<string, unknown>) =>
    createOpenAiApp(() => fixture.context).request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: `data:${fixture.source}`, ...body }),
    });
  const sent = () => double.requests[0]?.body as SentBody;
  const lastTwoTurns = [
    { role: "user", content: "And the lamp?" },
    { role: "assistant", content: "The Aurora Desk Lamp has three brightness levels [1]." },
    { role: "user", content: "Now the tent,\nplease." },
    { role: "assistant", content: "The Summit Tent is a two-person tent [1]." },
  ];

  for (const stream of [false, true]) {
    it(`sends the service's system prompt, then the last CHAT_HISTORY_TURNS=2 user/assistant turns, then the question (stream ${stream})`, async () => {
      const response = await complete({ messages: conversation, stream });
      const text = await response.text();
      expect(response.status, text).toBe(200);
      expect(text).toContain(stream ? "2.1" : answer);
      expect(double.requests).toHaveLength(1);

      const { messages } = sent();
      expect(messages[0]).toEqual({ role: "system", content: systemPrompt });
      expect(messages.slice(1, -1)).toEqual(lastTwoTurns);
      const final = messages.at(-1);
      expect(final?.role).toBe("user");
      expect(final?.content).toMatch(/^Documents:\n\[1\] /);
      expect(final?.content?.endsWith(`\n\nQuestion: ${question}`)).toBe(true);
      expect(messages).toHaveLength(6);

      // The first exchange is past the limit; system, developer and tool messages and non-text parts never reach the model.
      const everything = JSON.stringify(sent());
      expect(everything).not.toContain("Tell me about the backpack.");
      for (const marker of ["marker-system-77", "marker-developer-78", "marker-tool-79", "marker-image-80"]) {
        expect(everything).not.toContain(marker);
      }
    });
  }

  it("counts turns among user and assistant messages only: instructions between them do not crowd a turn out", async () => {
    const response = await complete({
      messages: [
        { role: "user", content: "Tell me about the backpack." },
        { role: "assistant", content: "The Trailblazer Backpack is waterproof [1]." },
        { role: "system", content: "marker-system-82" },
        { role: "developer", content: "marker-developer-83" },
        { role: "tool", content: "marker-tool-84", tool_call_id: "call_y" },
        { role: "user", content: "And the lamp?" },
        { role: "assistant", content: "The Aurora Desk Lamp has three brightness levels [1]." },
        { role: "system", content: "marker-system-85" },
        { role: "user", content: question },
      ],
    });
    expect(response.status).toBe(200);
    expect(sent().messages.slice(1, -1)).toEqual([
      { role: "user", content: "Tell me about the backpack." },
      { role: "assistant", content: "The Trailblazer Backpack is waterproof [1]." },
      ...lastTwoTurns.slice(0, 2),
    ]);
    expect(JSON.stringify(sent())).not.toMatch(/marker-(system|developer|tool)-8[2-5]/);
  });

  it("uses the client's messages instead of the user's stored history, and saves the exchange to it", async () => {
    await saveExchange(fixture.context, user, {
      question: "marker-stored-question-90",
      answer: "marker-stored-answer-91",
      provider: "openai",
    });
    const response = await complete({ messages: conversation, user });
    expect(response.status).toBe(200);
    expect(sent().messages.slice(1, -1)).toEqual(lastTwoTurns);
    expect(JSON.stringify(sent())).not.toContain("marker-stored-");

    const history = await readHistory(fixture.context, user, { limit: 10 });
    expect(history.messages.map((message) => [message.role, message.content])).toEqual([
      ["user", "marker-stored-question-90"],
      ["assistant", "marker-stored-answer-91"],
      ["user", question],
      ["assistant", answer],
    ]);
  });
});
