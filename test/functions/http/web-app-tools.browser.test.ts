import type { ServerType } from "@hono/node-server";
import { serve } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalApp } from "../../../functions/local/server.js";
import { setDefaultContext } from "../../../functions/shared/default-context.js";
import { launchChromium, screenshotFolder } from "../../support/browser.js";
import { type OpenAiDouble, startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { freePort } from "../../support/processes.js";
import { cheapestDeskSpec, cheapestStandingDesk } from "../../support/sample-desks.js";
import { toolsContext } from "./chat-tools-fixture.js";

describe("a query result on the chat page, in Chromium", { timeout: 60_000 }, () => {
  const desk = cheapestStandingDesk();
  const shot = screenshotFolder("web-app-tools");
  let double: OpenAiDouble;
  let fixture: Awaited<ReturnType<typeof toolsContext>>;
  let server: ServerType | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    double = await startOpenAiDouble();
    fixture = await toolsContext("webtools", { OPENAI_BASE_URL: double.baseUrl, LLM_PROVIDER: "openai" });
    setDefaultContext(fixture.context);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = serve({ fetch: createLocalApp().fetch, hostname: "127.0.0.1", port });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      const closed = new Promise((resolve) => server?.close(resolve));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
    }
    await fixture?.close();
    await double?.close();
  });

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
