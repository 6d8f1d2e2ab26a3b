import { describe, expect, it } from "vitest";
import { toolLimitAnswer } from "../../../core/chat/index.js";
import { startGeminiDouble } from "../../support/llm-doubles/gemini-double.js";
import { cheapestDeskSpec, cheapestStandingDesk } from "../../support/sample-desks.js";
import { chatClient, toolsRun } from "./chat-tools-fixture.js";

const apiKey = "gemini-tools-key-8080";

interface GeminiPart {
  text?: string;
  thoughtSignature?: string;
  functionCall?: { id?: string; name: string; args: Record<string, unknown> };
  functionResponse?: {
    id?: string;
    name: string;
    response: { output?: Record<string, unknown>; error?: { code: string; message: string } };
  };
}
interface GeminiBody {
  contents: { role: string; parts: GeminiPart[] }[];
  tools?: {
    functionDeclarations: { name: string; description: string; parametersJsonSchema: Record<string, unknown> }[];
  }[];
  toolConfig?: { functionCallingConfig: { mode: string } };
}

describe("the tool loop through the real @google/genai against a Gemini double (functionCall / functionResponse)", () => {
  const desk = cheapestStandingDesk();
  const run = toolsRun(
    "toolsgemini",
    () => startGeminiDouble({ apiKey }),
    (double) => ({ GEMINI_API_KEY: apiKey, GEMINI_BASE_URL: double.url, LLM_PROVIDER: "gemini" }),
    1,
  );
  const sent = (index: number) => run.double.requests[index]?.body as GeminiBody;
  const responses = (body: GeminiBody) =>
    body.contents.flatMap((content) =>
      content.parts.flatMap((part) => (part.functionResponse ? [part.functionResponse] : [])),
    );
  const client = () => chatClient(() => run.fixture.context, run.fixture.source);

  it("searches and queries, sends each result back as a functionResponse, and repeats the model's turn unchanged", async () => {
    const spec = cheapestDeskSpec(run.fixture.source);
    const answer = `The cheapest standing desk is the ${desk.name} at ${desk.price} [Q1]; for camping see [2].`;
    run.double.script({
      turns: [
        {
          calls: [
            { name: "search", args: { query: "two-person alpine tent", max_results: 1 } },
            { name: "query", args: spec, thoughtSignature: "c2lnbmF0dXJlLTE=" },
          ],
        },
        { text: answer },
      ],
    });
    const { status, body, text } = await client().chat({
      message: "What does the cheapest standing desk cost?",
      max_results: 1,
    });
    expect(status, text).toBe(200);
    expect(body.response).toBe(answer);

    const first = sent(0);
    expect(first.toolConfig?.functionCallingConfig.mode).toBe("AUTO");
    const declarations = first.tools?.[0]?.functionDeclarations ?? [];
    expect(declarations.map((declaration) => declaration.name)).toEqual(["search", "query"]);
    expect(declarations[1]?.parametersJsonSchema).toMatchObject({
      type: "object",
      properties: { source: { enum: [run.fixture.source] }, table: { enum: ["products.csv"] } },
    });

    // The search found a row the prompt did not hold: it is cited as the next number.
    expect(body.sources.map((source: { n: number }) => source.n)).toEqual([1, 2]);
    expect(body.sources[1].metadata.name).toBe("Summit Tent");
    expect(body.tool_calls[0].result.sources).toEqual([body.sources[1]]);
    expect(body.queries[0]).toMatchObject({ label: "Q1", rows: [{ name: desk.name, price: desk.price }] });

    const second = sent(1);
    const modelTurn = second.contents.at(-2);
    expect(modelTurn).toEqual({
      role: "model",
      parts: [
        { functionCall: { name: "search", args: { query: "two-person alpine tent", max_results: 1 } } },
        { functionCall: { name: "query", args: spec }, thoughtSignature: "c2lnbmF0dXJlLTE=" },
      ],
    });
    expect(second.contents.at(-1)?.role).toBe("user");
    const [searched, queried] = responses(second);
    expect(searched?.name).toBe("search");
    expect(searched?.response.output).toMatchObject({
      documents: [{ cite_as: "[2]", fields: { name: "Summit Tent" } }],
    });
    expect(queried).toMatchObject({
      name: "query",
      response: { output: { cite_as: "[Q1]", rows: [{ name: desk.name, price: desk.price }] } },
    });
  });

  it("streams each call and its result before the answer; errors go back as functionResponse errors", async () => {
    const spec = cheapestDeskSpec(run.fixture.source);
    const answer = `It is the ${desk.name} at ${desk.price} [Q1].`;
    run.double.script({
      turns: [
        {
          calls: [
            { name: "query", args: { ...spec, filters: [{ column: "title", op: "contains", value: "desk" }] } },
            { name: "drop_table", args: { table: "products.csv" } },
          ],
        },
        { calls: [{ name: "query", args: spec, id: "fc-7" }] },
        { text: answer },
      ],
    });
    const events = await client().stream({ message: "What does the cheapest standing desk cost?" });
    const names = events.map((event) => event.event);
    expect(names.slice(0, 7)).toEqual([
      "sources",
      "tool_call",
      "tool_result",
      "tool_call",
      "tool_result",
      "tool_call",
      "tool_result",
    ]);
    expect(names.slice(7, -2).every((name) => name === "content")).toBe(true);
    expect(names.slice(-2)).toEqual(["done", "message"]);
    expect(events[2]?.data.error).toMatchObject({ code: "invalid_input" });
    expect(events[2]?.data.error.message).toContain("'title'");
    expect(events[4]?.data.error).toMatchObject({ code: "unknown_tool" });
    expect(events[6]?.data.result).toMatchObject({ label: "Q1", rows: [{ name: desk.name, price: desk.price }] });
    const content = events.filter((event) => event.event === "content").map((event) => event.data.delta);
    expect(content.join("")).toBe(answer);

    const [badColumn, unknownTool] = responses(sent(1));
    expect(badColumn?.response.error?.code).toBe("invalid_input");
    expect(badColumn?.response.output).toBeUndefined();
    expect(unknownTool?.response.error?.message).toMatch(/no tool 'drop_table'; offered: search, query/);
    // A call Gemini gave an id is answered under that id.
    expect(responses(sent(2)).at(-1)).toMatchObject({
      id: "fc-7",
      name: "query",
      response: { output: { cite_as: "[Q1]" } },
    });
  });

  it("asks for an answer with function calling off once the bound is hit, and stops a model that will not", async () => {
    const spec = cheapestDeskSpec(run.bounded.source);
    run.double.script({ turns: [1, 2, 3].map(() => ({ calls: [{ name: "query", args: spec }] })) });
    const { status, body } = await chatClient(() => run.bounded.context, run.bounded.source).chat({
      message: "What does the cheapest standing desk cost?",
    });
    expect(status).toBe(200);
    expect(run.double.requests).toHaveLength(2);
    expect(sent(0).toolConfig?.functionCallingConfig.mode).toBe("AUTO");
    expect(sent(1).toolConfig?.functionCallingConfig.mode).toBe("NONE");
    expect(body.queries).toHaveLength(1);
    expect(body.tool_calls.map((call: { error?: { code: string } }) => call.error?.code ?? "ran")).toEqual([
      "ran",
      "tool_limit_reached",
    ]);
    expect(body.response).toBe(toolLimitAnswer(1));
  });
});
