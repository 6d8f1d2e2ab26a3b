import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { screenshotFolder } from "../../support/browser.js";
import { cheapestDeskSpec } from "../../support/sample-desks.js";
import { openToolsChatPage, type ToolsChatPage } from "./chat-page-fixture.js";

// docs/tools.md, "What clients see": on the page, "refused calls are listed under the answer",
// streamed and loaded from history alike (functions/http/web/queries.js, `ul.tool-errors`).
describe("refused tool calls on the chat page, in Chromium", { timeout: 60_000 }, () => {
  const shot = screenshotFolder("web-app-refused-tools");
  let chat: ToolsChatPage | undefined;
  let double: ToolsChatPage["double"];
  let fixture: ToolsChatPage["fixture"];
  let page: ToolsChatPage["page"];
  let base: string;

  beforeAll(async () => {
    chat = await openToolsChatPage("webrefused");
    ({ double, fixture, page, base } = chat);
  }, 120_000);

  afterAll(() => chat?.close());

  const answers = () => page.locator(".message-assistant");
  const ask = async (question: string, count: number) => {
    await page.fill("#question", question);
    await page.press("#question", "Enter");
    await page
      .locator(".message-assistant[data-state='done']")
      .nth(count - 1)
      .waitFor({ timeout: 30_000 });
  };

  it("lists each refused call under its answer, and nothing under an answer without one", async () => {
    const { source } = fixture;
    const refusedAnswer = "I could not look that up.";
    const plainAnswer = "Nothing needed a tool this time.";
    double.script({
      text: plainAnswer,
      turns: [
        {
          calls: [
            // articles.jsonl is not among the source's query_tables: table_not_allowed.
            { name: "query", arguments: { ...cheapestDeskSpec(source), table: "articles.jsonl" } },
            // The chat is filtered to the fixture's source; a search may not widen it.
            { name: "search", arguments: { query: "standing desk", source: "samples" } },
          ],
        },
        { text: refusedAnswer },
      ],
    });
    const refusals = [
      `query refused (table_not_allowed): table 'articles.jsonl' of source '${source}' is not open to queries in this chat; open: ${source}/products.csv`,
      `search refused (source_not_allowed): this chat is limited to source '${source}'; 'samples' is outside it`,
    ];

    await page.goto(`${base}/app`);
    await page.fill("#user-name", "web.refused");
    await page.press("#user-name", "Tab");
    await page.selectOption("#chat-source", source);
    await ask("What does the cheapest standing desk cost?", 1);
    await ask("Which backpack has a rain cover?", 2);

    expect(await answers().count()).toBe(2);
    const [first, second] = [answers().nth(0), answers().nth(1)];
    expect(await first.locator(".text").innerText()).toBe(refusedAnswer);
    expect(await first.locator(".queries ul.tool-errors li").allInnerTexts()).toEqual(refusals);
    expect(await first.locator(".query-card").count()).toBe(0);
    expect(await second.locator(".text").innerText()).toBe(plainAnswer);
    expect(await second.locator(".tool-errors").count()).toBe(0);
    expect(await second.locator(".queries").innerText()).toBe("");
    await shot(page, "refused-calls");

    // Reloaded, the answers come from history: the refusals are listed under the first again, only there.
    await page.reload();
    await page.locator(".message-assistant .tool-errors").first().waitFor({ timeout: 30_000 });
    expect(await answers().count()).toBe(2);
    expect(await answers().nth(0).locator(".text").innerText()).toBe(refusedAnswer);
    expect(await answers().nth(0).locator(".queries ul.tool-errors li").allInnerTexts()).toEqual(refusals);
    expect(await answers().nth(1).locator(".text").innerText()).toBe(plainAnswer);
    expect(await answers().nth(1).locator(".tool-errors").count()).toBe(0);
    await shot(page, "refused-calls-from-history");
  });
});
