import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { screenshotFolder } from "../../support/browser.js";
import { cheapestDeskSpec, cheapestStandingDesk } from "../../support/sample-desks.js";
import { openToolsChatPage, type ToolsChatPage } from "./chat-page-fixture.js";

describe("a query result on the chat page, in Chromium", { timeout: 60_000 }, () => {
  const desk = cheapestStandingDesk();
  const shot = screenshotFolder("web-app-tools");
  let chat: ToolsChatPage | undefined;
  let double: ToolsChatPage["double"];
  let fixture: ToolsChatPage["fixture"];
  let page: ToolsChatPage["page"];
  let base: string;

  beforeAll(async () => {
    chat = await openToolsChatPage("webtools");
    ({ double, fixture, page, base } = chat);
  }, 120_000);

  afterAll(() => chat?.close());

  const assistant = () => page.locator(".message-assistant").last();

  it("shows the rows as a small table cited by [Q1], the spec behind a toggle, and again from history", async () => {
    const spec = cheapestDeskSpec(fixture.source);
    const answer = `The cheapest standing desk is the ${desk.name} at ${desk.price} [Q1].`;
    double.script({ turns: [{ calls: [{ name: "query", arguments: spec }] }, { text: answer }] });
    await page.goto(`${base}/app`);
    await page.fill("#user-name", "web.tools");
    await page.press("#user-name", "Tab");
    await page.fill("#question", "What does the cheapest standing desk cost?");
    await page.press("#question", "Enter");
    await page.locator(".message-assistant[data-state='done']").waitFor({ timeout: 30_000 });

    const card = assistant().locator(".query-card");
    expect(await card.count()).toBe(1);
    expect(await card.locator(".badge").innerText()).toBe("Q1");
    expect(await card.locator(".origin").innerText()).toBe(`${fixture.source} · products.csv`);
    expect(await card.locator("th").allInnerTexts()).toEqual(["name", "price"]);
    expect(await card.locator("td").allInnerTexts()).toEqual([desk.name, String(desk.price)]);
    const toggle = card.locator("details");
    expect(await toggle.getAttribute("open")).toBeNull();
    // The spec that ran, its defaults filled in.
    expect(JSON.parse((await card.locator(".query-spec").textContent()) ?? "")).toEqual({
      ...spec,
      order_by: [{ key: "price", direction: "asc" }],
    });
    await shot(page, "query-answer");

    const link = assistant().locator("a.cite", { hasText: "[Q1]" });
    await link.click();
    const target = (await link.getAttribute("href"))?.slice(1);
    await expect.poll(() => page.evaluate<string | undefined>("document.activeElement?.id")).toBe(target);
    expect(await toggle.getAttribute("open")).not.toBeNull();

    // Reloaded, the answer comes from history with its query card and a working [Q1].
    await page.reload();
    const stored = page.locator(".message-assistant").last();
    await stored.locator(".query-card").waitFor();
    expect(await stored.locator(".query-card td").allInnerTexts()).toEqual([desk.name, String(desk.price)]);
    expect(await stored.locator("a.cite", { hasText: "[Q1]" }).count()).toBe(1);
    await shot(page, "query-from-history");
  });
});
