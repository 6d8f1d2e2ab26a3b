import type { ServerType } from "@hono/node-server";
import { serve } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../../core/auth/index.js";
import type { AppContext } from "../../../core/context/index.js";
import { ensureRedisReady } from "../../../core/redis/index.js";
import { dropRedisPrefix } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { launchChromium } from "../../support/browser.js";
import { createTestLocalApp } from "../../support/function-apps.js";
import { freePort } from "../../support/processes.js";
import { uniqueName } from "../../support/services.js";

const wrongKey = generateApiKey();
const tightKey = generateApiKey();

describe("the chat page against a real server with API keys and a rate limit", { timeout: 60_000 }, () => {
  const run = uniqueName("webauth").replace(/-/g, "_");
  const prefix = `${run}:`;
  let context: AppContext;
  let server: ServerType | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    context = createTestContext({
      REDIS_KEY_PREFIX: prefix,
      LLM_PROVIDER: "extractive",
      API_KEYS: JSON.stringify([
        { name: "tight", sha256: tightKey.sha256, scopes: ["chat"], users: ["*"], rate_limit_per_minute: 1 },
      ]),
    });
    // The tight key's budget is spent in this minute and the next two, written where the limiter counts:
    // its 429 comes from the server's own limiter whatever minute the test runs in.
    const redis = context.redis;
    if (!redis) throw new Error("tests run with Redis");
    await ensureRedisReady(redis, 5_000);
    const minute = Math.floor(Date.now() / 60_000);
    for (const window of [minute, minute + 1, minute + 2]) {
      await redis.set(`${prefix}ratelimit:key:tight:${window}`, "1000", "EX", 300);
    }
    server = serve({ fetch: createTestLocalApp(context).fetch, hostname: "127.0.0.1", port });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await dropRedisPrefix(context, prefix);
    await context?.close();
  });

  const assistant = () => page.locator(".message-assistant").last();
  const setKey = async (key: string) => {
    await page.evaluate(`document.getElementById("key-panel").open = true`);
    await page.fill("#api-key", key);
    await page.press("#api-key", "Enter");
  };
  const ask = async (question: string) => {
    await page.fill("#question", question);
    await page.press("#question", "Enter");
    await page.locator(".message-assistant[data-state='error'] .inline-error").last().waitFor();
    return assistant().locator(".inline-error").innerText();
  };

  it("shows the server's real 401 in place and opens the key panel, with no key and with a wrong one", async () => {
    await page.goto(`${base}/app`);
    await page.locator("#notice:not([hidden])").waitFor();
    expect(await page.innerText("#notice-text")).toContain("The service needs a valid API key");
    expect(await page.getAttribute("#key-panel", "open")).not.toBeNull();

    await setKey(wrongKey.key);
    expect(await ask("Which backpack is waterproof?")).toContain("The service needs a valid API key");
    expect(await page.getAttribute("#key-panel", "open")).not.toBeNull();
    expect(await page.evaluate<string | undefined>("document.activeElement?.id")).toBe("api-key");
  });

  it("shows the server's real 429 with its Retry-After", async () => {
    await setKey(tightKey.key);
    expect(await ask("What does the tent weigh?")).toMatch(
      /Too many requests: rate limit of 1 requests per minute reached.*Try again in \d+ s/,
    );
  });
});
