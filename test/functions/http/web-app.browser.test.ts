import type { ServerType } from "@hono/node-server";
import { serve } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { ingestTable } from "../../../core/ingest/index.js";
import { createWebApp } from "../../../functions/http/web-app.js";
import { createLocalApp } from "../../../functions/local/server.js";
import { startWorkers } from "../../../functions/local/workers.js";
import { setDefaultContext } from "../../../functions/shared/default-context.js";
import { createTestContext } from "../../support/app-context.js";
import { launchChromium, screenshotFolder } from "../../support/browser.js";
import { readJson } from "../../support/http.js";
import { type OpenAiDouble, startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { freePort } from "../../support/processes.js";
import { uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

const ingestRows = 40;

describe("the chat page in Chromium, over the real local server, services and workers", { timeout: 60_000 }, () => {
  const run = uniqueName("web").replace(/-/g, "_");
  const articles = `kb_${run}`;
  const catalogue = `shop_${run}`;
  const topicPrefix = `${run}.`;
  const userName = `reader-${run.slice(-6)}`;
  const shot = screenshotFolder("web-app");
  let double: OpenAiDouble;
  let context: AppContext;
  let workers: { stop(): Promise<void> } | undefined;
  let server: ServerType | undefined;
  // The page served from a second origin, streaming from the first: deployed, the stream is a function URL.
  let pageServer: ServerType | undefined;
  let pageBase: string;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    double = await startOpenAiDouble();
    const [port, pagePort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    pageBase = `http://127.0.0.1:${pagePort}`;
    context = createTestContext({
      CORS_ORIGINS: pageBase,
      REDIS_KEY_PREFIX: `${run}:`,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_PREFIX: run,
      LLM_PROVIDER: "extractive",
      OPENAI_BASE_URL: double.baseUrl,
      // Small groups, so a 40-row batch reports progress in several steps.
      EMBEDDING_GROUP_SIZE: "8",
      SOURCES: JSON.stringify([
        { name: articles, kind: "jsonl", path: "samples", description: "Support articles (a private copy)" },
        { name: catalogue, kind: "csv", path: "samples", description: "Product catalogue (a private copy)" },
      ]),
    });
    // The registry's functions read the process-wide context; this file's module graph is its own.
    setDefaultContext(context);
    const vectors = context.vectors;
    if (!vectors) throw new Error("chroma is configured in tests");
    const [, started, launched] = await Promise.all([
      ingestTable(
        { ...context, vectors },
        {
          source: articles,
          table: "articles.jsonl",
          fields: ["id", "section", "title"],
          textFields: ["title", "body"],
        },
      ),
      startWorkers(context),
      launchChromium(),
    ]);
    workers = started;
    browser = launched;
    server = serve({ fetch: createLocalApp().fetch, hostname: "127.0.0.1", port });
    const streamingContext = { ...context, settings: { ...context.settings, CHAT_STREAM_URL: base } };
    const web = createWebApp(() => streamingContext);
    const api = createLocalApp();
    pageServer = serve({
      fetch: (request) => (new URL(request.url).pathname.startsWith("/app") ? web.fetch(request) : api.fetch(request)),
      hostname: "127.0.0.1",
      port: pagePort,
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve(undefined)));
    await closeServer();
    await workers?.stop();
    await releaseRun(context, { sources: [articles, catalogue], topicPrefix, redisPrefix: `${run}:` });
    await double?.close();
  }, 60_000);

  async function closeServer() {
    const running = server;
    server = undefined;
    if (!running) return;
    const closed = new Promise((resolve) => running.close(resolve));
    if ("closeAllConnections" in running) running.closeAllConnections();
    await closed;
  }

  const assistant = () => page.locator(".message-assistant").last();
  const ask = async (question: string) => {
    await page.fill("#question", question);
    await page.press("#question", "Enter");
  };
  // Page-side code is passed as strings: it runs in Chromium, and tsconfig has no DOM types.
  const focusedId = () => page.evaluate<string | undefined>("document.activeElement?.id");
  const history = async () => readJson(await fetch(`${base}/chat/history/${userName}`));

  it("sends a browser from / to the page, and answers a question from the sample data with citation cards", async () => {
    await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/app`);
    await page.locator(`#chat-source option[value="${articles}"]`).waitFor({ state: "attached" });
    await page.fill("#user-name", userName);
    await page.press("#user-name", "Tab");
    await page.selectOption("#chat-source", articles);
    expect(await page.inputValue("#chat-provider")).toBe("extractive");
    await shot(page, "page-loaded");

    await ask("How long do I have to return an item?");
    await page.locator(".message-assistant[data-state='done']").waitFor({ timeout: 30_000 });
    const text = await assistant().locator(".text").innerText();
    expect(text).toContain("30 days");
    // Which source the quoted lines come from depends on the ranking; each cites one that has a card.
    const cited = [...text.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
    expect(cited.length).toBeGreaterThan(0);
    // The extractive provider sends one delta per quoted line; the page built the text from them.
    expect(Number(await assistant().getAttribute("data-deltas"))).toBeGreaterThanOrEqual(2);
    const saved = (await history()).messages;
    expect(saved.map((message: { role: string }) => message.role)).toEqual(["user", "assistant"]);
    expect(text).toBe(saved[1].content);

    const cards = assistant().locator(".source-card");
    expect(await cards.count()).toBeGreaterThanOrEqual(Math.max(...cited));
    const first = cards.first();
    expect(await first.locator(".badge").innerText()).toBe("1");
    expect(await first.locator(".origin").innerText()).toBe(`${articles} · articles.jsonl`);
    // Hybrid retrieval's fused score is in [0, 1]; the card says which side found the source.
    expect(await first.locator(".score").innerText()).toMatch(/^score [01]\.\d{3}$/);
    expect(await first.locator(".matched-by").innerText()).toMatch(/^(meaning|words|meaning \+ words)$/);
    expect(await first.locator("dt").allInnerTexts()).toEqual(expect.arrayContaining(["key", "title"]));
    await shot(page, "answer-with-sources");
  });

  it("follows an [n] marker to its card, focused and open", async () => {
    const link = assistant().locator("a.cite").first();
    const target = (await link.getAttribute("href"))?.slice(1);
    await link.click();
    await expect.poll(() => focusedId()).toBe(target);
    const card = page.locator(`#${target}`);
    expect(await card.getAttribute("class")).toContain("highlight");
    expect(await card.locator("details").getAttribute("open")).not.toBeNull();
    expect(await card.locator(".card-text").innerText()).toMatch(/\w/);
    await shot(page, "citation-followed");
  });

  it("shows a slow model's answer growing token by token while it streams, and stops it on request", async () => {
    const words = "Returns are accepted within 30 days of delivery [1], and refunds take about 5 business days [2].";
    double.script({ text: words, chunkDelayMs: 60 });
    await page.selectOption("#chat-provider", "openai");
    await ask("How do returns and refunds work?");
    const partials = new Set<string>();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const { state, text } = await assistant().evaluate((item) => ({
        state: item.getAttribute("data-state"),
        text: item.querySelector(".text")?.textContent ?? "",
      }));
      if (state !== "streaming") break;
      if (text && !partials.has(text)) {
        partials.add(text);
        if (partials.size === 3) await shot(page, "streaming");
      }
      await page.waitForTimeout(20);
    }
    const final = await assistant().locator(".text").innerText();
    expect(final).toBe(words);
    expect(partials.size).toBeGreaterThanOrEqual(3);
    for (const partial of partials) expect(words.startsWith(partial)).toBe(true);
    expect(await assistant().locator("a.cite").count()).toBe(2);

    // Stop mid-answer: the page drops the stream, and the server cancels the model call.
    double.script({ text: "word ".repeat(100), chunkDelayMs: 50 });
    await ask("Tell me everything about returns.");
    await page.locator(".message-assistant[data-deltas]").last().waitFor();
    await page.click("#stop");
    await page.locator(".message-assistant[data-state='stopped']").waitFor();
    await expect.poll(() => double.requests.at(-1)?.closedEarly, { timeout: 5_000 }).toBe(true);
    expect(await page.isHidden("#stop")).toBe(true);
    await page.selectOption("#chat-provider", "extractive");
  });

  it("keeps the conversation across a reload, and clears it", async () => {
    await page.reload();
    // Two exchanges saved; the stopped one is not.
    await expect.poll(() => page.locator("#conversation > li").count()).toBe(4);
    // The source filter is remembered too, so later questions stay on this test's private data.
    await expect.poll(() => page.inputValue("#chat-source")).toBe(articles);
    expect(await page.locator("#conversation > li .text").first().innerText()).toBe(
      "How long do I have to return an item?",
    );
    await shot(page, "history-reloaded");

    page.once("dialog", (dialog) => void dialog.accept());
    await page.click("#clear-history");
    await expect.poll(() => page.locator("#conversation > li").count()).toBe(0);
    expect(await page.isVisible("#empty-conversation")).toBe(true);
    expect((await history()).messages).toEqual([]);
    await shot(page, "history-cleared");
  });

  it("answers whole from POST /chat where /chat/stream has no route, as behind an API gateway", async () => {
    // API Gateway's own 404 body: deployed, the stream is served from a function URL instead.
    await page.route("**/chat/stream", (route) =>
      route.fulfill({ status: 404, contentType: "application/json", body: '{"message":"Not Found"}' }),
    );
    const whole = page.waitForResponse((response) => new URL(response.url()).pathname === "/chat");
    await ask("Can I exchange a product for another size?");
    expect((await whole).status()).toBe(200);
    await page.locator(".message-assistant[data-state='done']").waitFor();
    expect(await assistant().getAttribute("data-deltas")).toBeNull();
    expect(await assistant().locator(".text").innerText()).toBe((await history()).messages[1].content);
    expect(await assistant().locator(".source-card").count()).toBeGreaterThanOrEqual(1);
    await page.unroute("**/chat/stream");
    await shot(page, "answer-without-stream");
  });

  it("streams from another origin when the page names one, as from the function URL when deployed", async () => {
    const other = await (browser as Browser).newPage();
    try {
      const streams: string[] = [];
      other.on("request", (request) => {
        if (new URL(request.url()).pathname === "/chat/stream" && request.method() === "POST")
          streams.push(request.url());
      });
      await other.goto(`${pageBase}/app`);
      await other.locator(`#chat-source option[value="${articles}"]`).waitFor({ state: "attached" });
      await other.fill("#user-name", `far-${run.slice(-6)}`);
      await other.press("#user-name", "Tab");
      await other.selectOption("#chat-source", articles);
      await other.fill("#question", "How long do I have to return an item?");
      await other.press("#question", "Enter");
      const answer = other.locator(".message-assistant").last();
      await other.locator(".message-assistant[data-state='done']").waitFor({ timeout: 30_000 });
      expect(streams).toEqual([`${base}/chat/stream`]);
      expect(await answer.locator(".text").innerText()).toContain("30 days");
      expect(Number(await answer.getAttribute("data-deltas"))).toBeGreaterThanOrEqual(2);
      await shot(other, "answer-streamed-cross-origin");
    } finally {
      await other.close();
    }
  });

  it("keeps a question asked while the history is still loading, after the history", async () => {
    const other = await (browser as Browser).newPage();
    try {
      const name = `quick-${run.slice(-6)}`;
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      // The new name's history is held back until the question has been sent, as on a slow link.
      await other.route(`**/chat/history/${name}?*`, async (route) => {
        await held;
        await route.continue();
      });
      await other.goto(`${base}/app`);
      await other.locator(`#chat-source option[value="${articles}"]`).waitFor({ state: "attached" });
      await other.selectOption("#chat-source", articles);
      await other.fill("#user-name", name);
      await other.press("#user-name", "Tab");
      await other.fill("#question", "How long do I have to return an item?");
      await other.press("#question", "Enter");
      await expect.poll(() => other.getAttribute("#conversation", "aria-busy")).toBe("true");
      const loaded = other.waitForResponse((response) => response.url().includes(`/chat/history/${name}?`));
      release();
      expect((await loaded).status()).toBe(200);
      await expect.poll(() => other.locator("#conversation > li").count()).toBe(2);
      await other.locator(".message-assistant[data-state='done']").waitFor({ timeout: 30_000 });
      expect(await other.locator("#conversation > li").count()).toBe(2);
      expect(await other.locator(".message-assistant .text").innerText()).toContain("30 days");
    } finally {
      await other.close();
    }
  });

  it("starts an ingestion of chosen text fields and follows its progress bar to 100%", async () => {
    await page.click("#nav-sources");
    expect(await page.locator("#source-list li strong").allInnerTexts()).toEqual([articles, catalogue]);
    await page.selectOption("#ingest-source", catalogue);
    await page.locator('#ingest-table option[value="products.csv"]').waitFor({ state: "attached" });
    await page.selectOption("#ingest-table", "products.csv");
    await page.check('#ingest-fields input[value="name"]');
    await page.check('#ingest-fields input[value="description"]');
    await page.fill("#ingest-max-rows", String(ingestRows));
    await shot(page, "ingest-form");
    await page.click("#ingest-start");

    const batch = page.locator("#batch-list li.batch").first();
    await batch.waitFor();
    expect(await batch.locator(".batch-title").innerText()).toContain(`${catalogue} · products.csv`);
    const seen: number[] = [];
    let pictured = false;
    await expect
      .poll(
        async () => {
          // One read of both: polling replaces the item, so two reads could straddle an update.
          const { value, status } = await batch.evaluate((item) => ({
            value: Number(item.querySelector("progress")?.getAttribute("value")),
            status: item.getAttribute("data-status"),
          }));
          if (seen.at(-1) !== value) seen.push(value);
          if (!pictured && value > 0 && value < 100) {
            pictured = true;
            await shot(page, "ingest-progress");
          }
          return status;
        },
        { timeout: 45_000, interval: 100 },
      )
      .toBe("completed");
    expect(seen.at(-1)).toBe(100);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(await batch.locator(".batch-counts").innerText()).toMatch(
      new RegExp(`^100% · ${ingestRows} of ${ingestRows} documents`),
    );
    expect(await context.vectors?.count(catalogue)).toBe(ingestRows);
    await shot(page, "ingest-completed");
  });

  it("labels every control, and fits a narrow phone screen without sideways scrolling", async () => {
    const unlabelled = await page.evaluate<string[]>(
      `[...document.querySelectorAll("input, select, textarea")]
        .filter((control) => control.labels.length === 0 && !control.getAttribute("aria-label"))
        .map((control) => control.id)`,
    );
    expect(unlabelled).toEqual([]);
    await page.setViewportSize({ width: 360, height: 740 });
    for (const view of ["sources", "chat"]) {
      await page.goto(`${base}/app#${view}`);
      await page.locator(`#view-${view}:not([hidden])`).waitFor();
      const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow, view).toBeLessThanOrEqual(0);
      await shot(page, `phone-${view}`);
    }
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  it("sends the API key as a bearer token and keeps it only in sessionStorage", async () => {
    await page.click("#key-panel summary");
    await page.fill("#api-key", "sk-web-test-key");
    await page.press("#api-key", "Enter");
    expect(await page.innerText("#key-state")).toBe("API key: set");
    const request = page.waitForRequest((sent) => sent.url().endsWith("/sources"));
    await page.reload();
    expect((await request).headers().authorization).toBe("Bearer sk-web-test-key");
    const stored = await page.evaluate<{ session: string | null; local: string }>(
      `({ session: sessionStorage.getItem("cwd.apiKey"), local: JSON.stringify({ ...localStorage }) })`,
    );
    expect(stored.session).toBe("sk-web-test-key");
    expect(stored.local).not.toContain("sk-web-test-key");
  });

  it("shows failures in place: 401, 429, the server's error envelope, and the service going down", async () => {
    await page.selectOption("#chat-source", articles);
    const envelope = (status: number, code: string, message: string, headers: Record<string, string> = {}) => ({
      status,
      headers,
      contentType: "application/json",
      body: JSON.stringify({ error: { code, message } }),
    });
    // Exact envelopes, to check the page's wording; the real server's 401 and 429 are in web-app-auth.browser.test.ts.
    await page.route("**/chat/stream", (route) =>
      route.fulfill(envelope(401, "unauthorized", "the API key was not accepted")),
    );
    await ask("Anything?");
    expect(await assistant().locator(".inline-error").innerText()).toContain("the API key was not accepted");
    expect(await page.getAttribute("#key-panel", "open")).not.toBeNull();
    expect(await focusedId()).toBe("api-key");
    expect(await page.inputValue("#question")).toBe("Anything?");
    await shot(page, "error-401");
    await page.press("#api-key", "Escape");
    expect(await page.getAttribute("#key-panel", "open")).toBeNull();
    await page.focus("#question");

    await page.unroute("**/chat/stream");
    await page.route("**/chat/stream", (route) =>
      route.fulfill(envelope(429, "rate_limited", "too many requests", { "Retry-After": "7" })),
    );
    await page.press("#question", "Enter");
    expect(await assistant().locator(".inline-error").innerText()).toMatch(/Too many requests.*Try again in 7 s/);
    await page.unroute("**/chat/stream");

    // A real 400 envelope from the server: a provider it does not know.
    await page.evaluate(`document.getElementById("chat-provider").append(new Option("nope", "nope"))`);
    await page.selectOption("#chat-provider", "nope");
    await page.press("#question", "Enter");
    await page.locator(".message-assistant[data-state='error'] .inline-error").last().waitFor();
    // The document lists the providers, so the server's message names the field and what it accepts.
    expect(await assistant().locator(".inline-error").innerText()).toMatch(/provider: .*extractive/);
    await shot(page, "error-envelope");

    await closeServer();
    await page.click("#nav-sources");
    await page.locator("#notice:not([hidden])").waitFor();
    expect(await page.innerText("#notice-text")).toContain("The service cannot be reached");
    expect(await page.isVisible("#ingest-form")).toBe(true);
    await shot(page, "service-down");
  });
});
