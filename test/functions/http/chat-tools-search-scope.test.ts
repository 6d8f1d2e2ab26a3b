import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { uniqueName } from "../../support/services.js";
import { chatClient, type ToolsContext, toolsContext } from "./chat-tools-fixture.js";

// docs/tools.md, "Which tables": a `search` call may narrow the chat's filters, never widen them.

const apiKey = "sk-test-search-scope-4711";
const question = "Which tent suits alpine camping?";
const tentQuery = "two-person alpine tent";

interface SentBody {
  messages: { role: string; content: string | null; tool_call_id?: string }[];
}
interface ToolCallOut {
  id: string;
  name: string;
  error?: { code: string; message: string };
  result?: { sources: { n: number; content: string; metadata: Record<string, unknown> }[] };
}

/** Text only the chat's own source holds, in a table the chat may be narrowed to leave out. */
const articleText =
  "title: Pitching a tent on alpine snow\nbody: Guide to a two-person alpine tent. marker-article-9e1";
/** Text only the other source holds: it must never reach the model from a chat limited to the first. */
const otherText = "name: Ridge Alpine Tent\ndescription: A two-person alpine tent. marker-othersource-5c3";

async function seed(context: AppContext, source: string, table: string, id: string, text: string): Promise<void> {
  if (!context.vectors) throw new Error("chroma is configured in tests");
  const [embedding] = await context.embedder.embed([text]);
  await context.vectors.upsert(source, [
    { id: `${source}:${table}:${id}`, embedding: embedding ?? [], document: text, metadata: { source, table } },
  ]);
}

describe("a search call narrows the chat's filters and never widens them (openai double)", () => {
  let double: Awaited<ReturnType<typeof startOpenAiDouble>>;
  let fixture: ToolsContext;
  const other = uniqueName("scopeother").replace(/-/g, "_");

  beforeAll(async () => {
    double = await startOpenAiDouble({ apiKey });
    fixture = await toolsContext("scope", {
      OPENAI_BASE_URL: double.baseUrl,
      OPENAI_API_KEY: apiKey,
      LLM_PROVIDER: "openai",
    });
    // The chat's source: the fixture's products, plus an "articles" table; another source beside it.
    await seed(fixture.context, fixture.source, "articles", "pitching", articleText);
    await seed(fixture.context, other, "products", "ridge", otherText);
  });
  beforeEach(() => double.script());
  afterAll(async () => {
    await fixture?.context.vectors?.deleteSource(other);
    await fixture?.close();
    await double?.close();
  });

  const client = () => chatClient(() => fixture.context, fixture.source);
  const toolResults = (index: number) =>
    ((double.requests[index]?.body as SentBody | undefined)?.messages ?? [])
      .filter((message) => message.role === "tool")
      .map((message) => JSON.parse(message.content ?? ""));
  const everythingSent = () => JSON.stringify(double.requests.map((request) => request.body));

  it("control: within filters that allow the other source, a search for it finds its row", async () => {
    double.script({
      turns: [{ calls: [{ name: "search", arguments: { query: tentQuery, source: other } }] }, { text: "See [2]." }],
    });
    const { status, body, text } = await client().chat({
      message: question,
      max_results: 1,
      filters: { source: { $in: [fixture.source, other] } },
    });
    expect(status, text).toBe(200);
    const [call] = body.tool_calls as ToolCallOut[];
    expect(call?.error).toBeUndefined();
    expect(call?.result?.sources.map((source) => source.content)).toEqual([otherText]);
    expect(everythingSent()).toContain("marker-othersource-5c3");
  });

  it("refuses a search for another source with source_not_allowed; a narrowing search runs inside the chat's source", async () => {
    double.script({
      turns: [
        {
          calls: [
            { name: "search", arguments: { query: tentQuery, source: other } },
            { name: "search", arguments: { query: tentQuery, source: fixture.source, table: "articles" } },
            { name: "search", arguments: { query: tentQuery, max_results: 10 } },
          ],
        },
        { text: "The Summit Tent [1]." },
      ],
    });
    const { status, body, text } = await client().chat({ message: question, max_results: 1 });
    expect(status, text).toBe(200);
    expect(body.response).toBe("The Summit Tent [1].");

    const calls = body.tool_calls as ToolCallOut[];
    expect(calls.map((call) => call.name)).toEqual(["search", "search", "search"]);
    const refusal = {
      code: "source_not_allowed",
      message: `this chat is limited to source '${fixture.source}'; '${other}' is outside it`,
    };
    expect(calls[0]?.error).toEqual(refusal);
    expect(calls[0]?.result).toBeUndefined();

    // The refusal, exactly, is what the model got back for that call; the other two ran.
    const results = toolResults(1);
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual({ error: refusal });
    expect(results[1].error).toBeUndefined();
    expect(results[2].error).toBeUndefined();

    // Narrowed to the chat's own source and one of its tables: only that table's row.
    expect(calls[1]?.error).toBeUndefined();
    expect(calls[1]?.result?.sources.map((source) => [source.metadata.source, source.metadata.table])).toEqual([
      [fixture.source, "articles"],
    ]);
    expect(results[1].documents.map((document: { text: string }) => document.text)).toEqual([articleText]);

    // No source named: the chat's filter still holds; its 4 rows, none of the other source's.
    const unnamed = calls[2]?.result?.sources ?? [];
    expect(unnamed).toHaveLength(4);
    for (const source of unnamed) expect(source.metadata.source).toBe(fixture.source);

    // Nothing of the other source reached the model or the answer's citations.
    for (const source of body.sources) expect(source.metadata.source).toBe(fixture.source);
    expect(everythingSent()).not.toContain("marker-othersource-5c3");
    expect(text).not.toContain("marker-othersource-5c3");
  });

  it("refuses a search for another table of a chat limited to one table, and nothing of that table reaches the model", async () => {
    double.script({
      turns: [
        {
          calls: [
            { name: "search", arguments: { query: tentQuery, table: "articles" } },
            { name: "search", arguments: { query: tentQuery, source: other, table: "products" } },
            { name: "search", arguments: { query: tentQuery, table: "products", max_results: 10 } },
          ],
        },
        { text: "The Summit Tent [1]." },
      ],
    });
    const { status, body, text } = await client().chat({
      message: question,
      max_results: 1,
      filters: { source: fixture.source, table: "products" },
    });
    expect(status, text).toBe(200);
    const calls = body.tool_calls as ToolCallOut[];
    const tableRefusal = {
      code: "source_not_allowed",
      message: `this chat is limited to table 'products'; 'articles' is outside it`,
    };
    const sourceRefusal = {
      code: "source_not_allowed",
      message: `this chat is limited to source '${fixture.source}'; '${other}' is outside it`,
    };
    expect(calls[0]?.error).toEqual(tableRefusal);
    expect(calls[1]?.error).toEqual(sourceRefusal);
    expect(toolResults(1).slice(0, 2)).toEqual([{ error: tableRefusal }, { error: sourceRefusal }]);

    // Naming the table the chat already has is no widening: it runs, within it.
    expect(calls[2]?.error).toBeUndefined();
    const found = calls[2]?.result?.sources ?? [];
    expect(found).toHaveLength(3);
    for (const source of found)
      expect([source.metadata.source, source.metadata.table]).toEqual([fixture.source, "products"]);

    for (const source of body.sources) expect(source.metadata.table).toBe("products");
    expect(everythingSent()).not.toContain("marker-article-9e1");
    expect(everythingSent()).not.toContain("marker-othersource-5c3");
  });
});
