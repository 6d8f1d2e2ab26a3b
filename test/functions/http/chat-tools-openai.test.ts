import { describe, expect, it } from "vitest";
import { toolLimitAnswer, toolSystemPrompt } from "../../../core/chat/index.js";
import { askTool } from "../../../core/mcp/read-tools.js";
import { createOpenAiApp } from "../../../functions/http/openai.js";
import { startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { cheapestDeskSpec, cheapestStandingDesk } from "../../support/sample-desks.js";
import { chatClient, toolsRun } from "./chat-tools-fixture.js";

const apiKey = "sk-test-tools-5150";

interface SentMessage {
  role: string;
  content: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
}
interface SentBody {
  messages: SentMessage[];
  tools?: { type: string; function: { name: string; description: string; parameters: Record<string, unknown> } }[];
  tool_choice?: string;
}

describe("the tool loop through the real openai client against a chat-completions double", () => {
  const desk = cheapestStandingDesk();
  const run = toolsRun(
    "toolsopenai",
    () => startOpenAiDouble({ apiKey }),
    (double) => ({ OPENAI_BASE_URL: double.baseUrl, OPENAI_API_KEY: apiKey, LLM_PROVIDER: "openai" }),
    2,
  );
  const sent = (index: number) => run.double.requests[index]?.body as SentBody;
  const toolMessages = (body: SentBody) => body.messages.filter((message) => message.role === "tool");
  const client = () => chatClient(() => run.fixture.context, run.fixture.source);

  it("queries for the cheapest standing desk and answers citing the result as [Q1]; the turn is kept in history", async () => {
    const spec = cheapestDeskSpec(run.fixture.source);
    const answer = `The cheapest standing desk is the ${desk.name} at ${desk.price} [Q1].`;
    run.double.script({ turns: [{ calls: [{ name: "query", arguments: spec, id: "call_abc" }] }, { text: answer }] });
    await client().clearHistory();
    const { status, body, text } = await client().chat({
      message: "What does the cheapest standing desk cost?",
      include_history: true,
    });
    expect(status, text).toBe(200);
    expect(body.response).toBe(answer);
    expect(body.queries).toHaveLength(1);
    expect(body.queries[0]).toMatchObject({ label: "Q1", rows: [{ name: desk.name, price: desk.price }] });
    expect(body.queries[0].truncated).toBe(desk.count > 1);
    expect(body.tool_calls).toEqual([
      expect.objectContaining({ id: "call_1", name: "query", arguments: spec, result: body.queries[0] }),
    ]);

    // The first request offered both tools, the query tool describing the open table's columns and types.
    const first = sent(0);
    expect(first.messages[0]?.content).toBe(toolSystemPrompt);
    expect(first.tool_choice).toBe("auto");
    expect(first.tools?.map((tool) => tool.function.name)).toEqual(["search", "query"]);
    const query = first.tools?.find((tool) => tool.function.name === "query")?.function;
    expect(query?.description).toContain(`source "${run.fixture.source}", table "products.csv"`);
    expect(query?.description).toMatch(/price \(number\)/);
    expect(query?.description).toMatch(/added_on \(date\)/);
    expect(query?.parameters).toMatchObject({ properties: { table: { enum: ["products.csv"] } } });

    // The second repeated the model's call as it made it and sent the real result back.
    const second = sent(1);
    const call = second.messages.find((message) => message.tool_calls)?.tool_calls?.[0];
    expect(call).toEqual({
      id: "call_abc",
      type: "function",
      function: { name: "query", arguments: JSON.stringify(spec) },
    });
    const [result] = toolMessages(second);
    expect(result?.tool_call_id).toBe("call_abc");
    expect(JSON.parse(result?.content ?? "")).toMatchObject({
      cite_as: "[Q1]",
      rows: [{ name: desk.name, price: desk.price }],
      columns: [
        { name: "name", type: "text" },
        { name: "price", type: "number" },
      ],
    });

    const history = await client().history();
    const saved = history.messages.at(-1);
    expect(saved).toMatchObject({ role: "assistant", content: answer });
    expect(saved.tool_calls).toEqual([
      expect.objectContaining({ name: "query", label: "Q1", rows: [{ name: desk.name, price: desk.price }] }),
    ]);

    // A follow-up sees the earlier result restated beside the answer that cited it.
    run.double.script({ text: "It is the one above [1]." });
    await client().chat({ message: "And which one was that?", include_history: true });
    const followUp = sent(0).messages.find((message) => message.role === "assistant")?.content ?? "";
    expect(followUp).toContain(answer);
    expect(followUp).toContain(`[Q1] ${JSON.stringify(spec)} returned 1 row(s)`);
    expect(followUp).toContain(desk.name);
  });

  it("sends refused calls back as tool errors the model can correct, and runs none of them", async () => {
    const spec = cheapestDeskSpec(run.fixture.source);
    run.double.script({
      turns: [
        {
          calls: [
            { name: "query", arguments: { ...spec, table: "articles.jsonl" } },
            { name: "query", arguments: { ...spec, columns: ["name", "wholesale_price"] } },
            { name: "query", arguments: { ...spec, limit: 1_000_000 } },
            { name: "query", arguments: { ...spec, source: "samples" } },
            { name: "query", arguments: '{"source": "' },
          ],
        },
        { text: "I could not compute it." },
      ],
    });
    const { status, body } = await client().chat({ message: "What does the cheapest standing desk cost?" });
    expect(status).toBe(200);
    expect(body.queries).toEqual([]);
    const errors = body.tool_calls.map((call: { error?: { code: string; message: string }; result?: unknown }) => {
      expect(call.result).toBeUndefined();
      return call.error;
    });
    expect(errors.map((error: { code: string }) => error.code)).toEqual([
      "table_not_allowed",
      "invalid_input",
      "validation_error",
      "table_not_allowed",
      "invalid_arguments",
    ]);
    expect(errors[0].message).toContain("'articles.jsonl'");
    expect(errors[0].message).toContain(`${run.fixture.source}/products.csv`);
    expect(errors[1].message).toContain("'wholesale_price'");
    expect(errors[2].message).toMatch(/^invalid arguments: limit: .*1000/);
    expect(errors[3].message).toContain("source 'samples'");

    // Each error went back to the model as the answer to its own call.
    const results = toolMessages(sent(1));
    expect(results.map((message) => message.tool_call_id)).toEqual(
      sent(1)
        .messages.flatMap((message) => message.tool_calls ?? [])
        .map((call) => call.id),
    );
    expect(results.map((message) => JSON.parse(message.content ?? "").error.code)).toEqual(
      errors.map((error: { code: string }) => error.code),
    );
    expect(body.response).toBe("I could not compute it.");
  });

  it("stops at CHAT_MAX_TOOL_CALLS: later calls are refused and the model is asked to answer without tools", async () => {
    const spec = cheapestDeskSpec(run.bounded.source);
    const boundedClient = chatClient(() => run.bounded.context, run.bounded.source);
    run.double.script({
      turns: [{ calls: [1, 2, 3].map(() => ({ name: "query", arguments: spec })) }, { text: "From what I have [Q1]." }],
    });
    const obedient = await boundedClient.chat({ message: "What does the cheapest standing desk cost?" });
    expect(obedient.status).toBe(200);
    expect(obedient.body.tool_calls.map((call: { error?: { code: string } }) => call.error?.code ?? "ran")).toEqual([
      "ran",
      "ran",
      "tool_limit_reached",
    ]);
    expect(obedient.body.queries.map((query: { label: string }) => query.label)).toEqual(["Q1", "Q2"]);
    expect(run.double.requests).toHaveLength(2);
    expect(sent(0).tool_choice).toBe("auto");
    expect(sent(1).tool_choice).toBe("none");
    expect(JSON.parse(toolMessages(sent(1))[2]?.content ?? "").error.message).toMatch(/limit of 2 tool calls/);
    expect(obedient.body.response).toBe("From what I have [Q1].");

    // A model that keeps calling after being told to answer gets no further round.
    run.double.script({ turns: [1, 2, 3, 4, 5].map(() => ({ calls: [{ name: "query", arguments: spec }] })) });
    const stubborn = await boundedClient.chat({ message: "What does the cheapest standing desk cost?" });
    expect(stubborn.status).toBe(200);
    expect(run.double.requests).toHaveLength(3);
    expect(sent(2).tool_choice).toBe("none");
    expect(stubborn.body.response).toBe(toolLimitAnswer(2));
    expect(stubborn.body.tool_calls.at(-1).error.code).toBe("tool_limit_reached");
  });

  for (const callChunks of ["split", "whole"] as const) {
    it(`streams tool_call and tool_result before the answer's content (calls sent ${callChunks})`, async () => {
      const spec = cheapestDeskSpec(run.fixture.source);
      const answer = `The ${desk.name} costs ${desk.price} [Q1].`;
      run.double.script({
        turns: [{ calls: [{ name: "query", arguments: spec }], callChunks }, { text: answer }],
      });
      const events = await client().stream({ message: "What does the cheapest standing desk cost?" });
      const names = events.map((event) => event.event);
      expect(names.slice(0, 3)).toEqual(["sources", "tool_call", "tool_result"]);
      expect(names.slice(3, -2).every((name) => name === "content")).toBe(true);
      expect(names.slice(-2)).toEqual(["done", "message"]);
      expect(events[1]?.data).toEqual({ type: "tool_call", id: "call_1", name: "query", arguments: spec });
      expect(events[2]?.data).toMatchObject({
        type: "tool_result",
        id: "call_1",
        result: { label: "Q1", rows: [{ name: desk.name, price: desk.price }] },
      });
      const content = events.filter((event) => event.event === "content").map((event) => event.data.delta);
      expect(content.join("")).toBe(answer);
      // Fragments joined by index give back the arguments exactly as the model wrote them.
      const echoed = sent(1).messages.find((message) => message.tool_calls)?.tool_calls?.[0]?.function.arguments;
      expect(echoed).toBe(JSON.stringify(spec));
    });
  }

  it("serves the same loop on /v1/chat/completions and the MCP ask tool", async () => {
    const spec = cheapestDeskSpec(run.fixture.source);
    const answer = `${desk.name}: ${desk.price} [Q1].`;
    run.double.script({ turns: [{ calls: [{ name: "query", arguments: spec }] }, { text: answer }] });
    const response = await createOpenAiApp(() => run.fixture.context).request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: `data:${run.fixture.source}`,
        messages: [{ role: "user", content: "cheapest standing desk?" }],
      }),
    });
    const completion = (await response.json()) as {
      choices: { message: { content: string; tool_calls?: unknown } }[];
      queries: unknown[];
    };
    expect(response.status).toBe(200);
    expect(completion.choices[0]?.message).toMatchObject({ content: answer });
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    expect(completion.queries[0]).toMatchObject({ label: "Q1", rows: [{ name: desk.name, price: desk.price }] });

    run.double.script({ turns: [{ calls: [{ name: "query", arguments: spec }] }, { text: answer }] });
    const asked = await askTool.call(
      { question: "cheapest standing desk?", filters: { source: run.fixture.source } },
      { context: run.fixture.context, caller: { key: undefined }, signal: new AbortController().signal },
    );
    expect(asked.text).toContain(answer);
    expect(asked.text).toContain(`[Q1] ${run.fixture.source}/products.csv`);
    expect(asked.structured).toMatchObject({ queries: [{ label: "Q1", rows: [{ name: desk.name }] }] });
  });
});
