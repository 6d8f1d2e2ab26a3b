import { describe, expect, it } from "vitest";
import { storedQueryRows } from "../../../core/chat/index.js";
import { startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { chatClient, toolsRun } from "./chat-tools-fixture.js";

// docs/tools.md, "What clients see": history keeps a query's label, its first 20 rows, the row count and
// `truncated`; the client gets every row; a later turn sees the kept rows restated.

const apiKey = "sk-test-history-rows-8484";

interface SentBody {
  messages: { role: string; content: string | null }[];
}

describe("a tool query of more than 20 rows: history keeps its first 20 (openai double)", () => {
  const run = toolsRun(
    "historyrows",
    () => startOpenAiDouble({ apiKey }),
    (double) => ({ OPENAI_BASE_URL: double.baseUrl, OPENAI_API_KEY: apiKey, LLM_PROVIDER: "openai" }),
    1,
  );
  const client = () => chatClient(() => run.fixture.context, run.fixture.source);

  it("stores 20 of the 30 rows with row_count 30, returns all 30, and restates the 20 on the next turn", async () => {
    expect(storedQueryRows).toBe(20);
    const spec = {
      source: run.fixture.source,
      table: "products.csv",
      columns: ["id", "name", "price"],
      order_by: [{ key: "price" }, { key: "id" }],
      limit: 30,
    };
    const answer = "The thirty cheapest products are listed in [Q1].";
    run.double.script({ turns: [{ calls: [{ name: "query", arguments: spec }] }, { text: answer }] });
    await client().clearHistory();
    const { status, body, text } = await client().chat({
      message: "List the 30 cheapest products.",
      include_history: true,
    });
    expect(status, text).toBe(200);
    expect(body.response).toBe(answer);

    // The client (and the model, up to 100 rows) gets all 30; the products table holds 300, so more came.
    const rows = body.queries[0].rows as { id: number; name: string; price: number }[];
    expect(rows).toHaveLength(30);
    expect(body.queries[0].truncated).toBe(true);
    const prices = rows.map((row) => row.price);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));

    const history = await client().history();
    expect(history.messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant"]);
    const saved = history.messages[1];
    expect(saved.content).toBe(answer);
    expect(saved.tool_calls).toEqual([
      { name: "query", arguments: spec, label: "Q1", rows: rows.slice(0, 20), row_count: 30, truncated: true },
    ]);

    // A follow-up sees the earlier answer with exactly those 20 rows restated, not the 30.
    run.double.script({ text: "The cheapest is the first one [Q1]." });
    const followUp = await client().chat({ message: "Which of them is the cheapest?", include_history: true });
    expect(followUp.status).toBe(200);
    const restated = (run.double.requests[0]?.body as SentBody | undefined)?.messages.find(
      (message) => message.role === "assistant",
    )?.content;
    expect(restated).toBe(
      `${answer}\n\n(Query results cited above, numbered for that answer only: ` +
        `[Q1] ${JSON.stringify(spec)} returned 30 row(s): ${JSON.stringify(rows.slice(0, 20))})`,
    );
  });
});
