import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createLlmProviders } from "../../../core/llm/index.js";
import { createChatApp } from "../../../functions/http/chat.js";
import { createHistoryApp } from "../../../functions/http/history.js";
import { createMetricsApp } from "../../../functions/http/metrics.js";
import { httpFunctions } from "../../../functions/http/registry.js";
import { unmatchedRoute } from "../../../functions/http/shared/http-metrics.js";
import { seedProducts } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { HashingEmbedder } from "../../support/hashing-embedder.js";
import { parseScrape, seriesOf, total } from "../../support/prometheus.js";
import { uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

const users = 1_000;
const concurrency = 16;

/** Runs `task` for 0..count-1 with at most `limit` at a time. */
async function inParallel(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

describe("metric labels stay bounded however many users chat", { timeout: 120_000 }, () => {
  const source = uniqueName("card").replace(/-/g, "_");
  const prefix = `${uniqueName("test-card")}:`;
  const run = Math.random().toString(36).slice(2, 8);
  let context: AppContext;

  beforeAll(async () => {
    const real = createTestContext({
      REDIS_KEY_PREFIX: prefix,
      // Topics of its own: consumer lag is read from Kafka at scrape time, and another test creating a
      // shared topic between the two scrapes would add series that have nothing to do with users.
      KAFKA_TOPIC_PREFIX: `${source}.`,
      KAFKA_GROUP_PREFIX: source,
      LLM_PROVIDER: "extractive",
      // A thousand requests from one address within a minute are this test's point, not abuse.
      RATE_LIMIT_PER_MINUTE: "0",
      CHAT_HISTORY_TURNS: "0",
    });
    // The real model takes ~100 ms a chat on this machine (the extractive answer embeds passages
    // too); a thousand would take minutes. Labels do not depend on which embedder answered.
    const embedder = new HashingEmbedder();
    context = { ...real, embedder, llm: createLlmProviders(real.settings, embedder) };
    await seedProducts(context, source);
  });
  afterAll(async () => {
    await releaseRun(context, { sources: [source], redisPrefix: prefix });
  });

  const scrape = async () => {
    const response = await createMetricsApp(() => context).request("/metrics");
    expect(response.status).toBe(200);
    return response.text();
  };

  it(`adds no series for ${users} distinct users, their histories or unknown paths`, async () => {
    const chat = createChatApp(() => context);
    const history = createHistoryApp(() => context);
    const ask = async (user: string, message: string) => {
      const response = await chat.request("/chat", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user_name: user, message, max_results: 2, filters: { source } }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
    };
    // One of everything first, so the baseline holds every series the loop can legitimately touch.
    await ask(`warmup-${run}`, "How much is the tent?");
    await history.request(`/chat/history/warmup-${run}`);
    await chat.request(`/no/such/path/${run}`);
    const before = parseScrape(await scrape());

    const started = performance.now();
    await inParallel(users, concurrency, async (index) => {
      const user = `user-${run}-${index}`;
      await ask(user, `Question ${index} from ${user}: what does the lamp cost?`);
      const page = await history.request(`/chat/history/${user}`);
      expect(page.status).toBe(200);
      if (index % 20 === 0) expect((await chat.request(`/unknown/${user}/${index}`)).status).toBe(404);
    });
    const seconds = (performance.now() - started) / 1000;

    const text = await scrape();
    const after = parseScrape(text);
    const added = [...seriesOf(after)].filter((series) => !seriesOf(before).has(series));
    // The scrape itself adds /metrics series, and the runtime a series per kind of garbage collection
    // the first time one of that kind runs (four kinds at most); nothing else may appear.
    expect(
      added.filter((series) => !series.includes('"/metrics"') && !series.startsWith("cwd_nodejs_gc_duration_seconds[")),
    ).toEqual([]);
    expect(text).not.toContain(`user-${run}`);
    expect(text).not.toContain("/unknown/");
    expect(text).not.toContain("lamp cost");

    const routes = new Set(after.filter((sample) => sample.labels.route).map((sample) => sample.labels.route));
    const patterns = new Set(httpFunctions.flatMap((entry) => entry.app.routes.map((route) => route.path)));
    for (const route of routes) expect(route === unmatchedRoute || patterns.has(route ?? ""), route).toBe(true);

    const requests = (route: string) =>
      total(after, "cwd_http_requests_total", { route, status: "200" }) -
      total(before, "cwd_http_requests_total", { route, status: "200" });
    expect(requests("/chat")).toBe(users);
    expect(requests("/chat/history/:user_name")).toBe(users);
    expect(
      total(after, "cwd_http_requests_total", { route: unmatchedRoute, status: "404" }) -
        total(before, "cwd_http_requests_total", { route: unmatchedRoute, status: "404" }),
    ).toBe(users / 20);
    expect(
      total(after, "cwd_chat_time_to_sources_seconds_count", { provider: "extractive" }) -
        total(before, "cwd_chat_time_to_sources_seconds_count", { provider: "extractive" }),
    ).toBe(users);
    console.log(`${users} users chatted in ${seconds.toFixed(1)} s`);
  });
});
