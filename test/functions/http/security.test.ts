import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateApiKey } from "../../../core/auth/index.js";
import { loadConfig } from "../../../core/config/index.js";
import type { AppContext } from "../../../core/context/index.js";
import { createChatApp } from "../../../functions/http/chat.js";
import { createHealthApp } from "../../../functions/http/health.js";
import { createHistoryApp } from "../../../functions/http/history.js";
import { createIngestApp } from "../../../functions/http/ingest.js";
import { createSearchApp } from "../../../functions/http/search.js";
import { createServiceInfoApp } from "../../../functions/http/service-info.js";
import { dropRedisPrefix, seedProducts } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import { uniqueName } from "../../support/services.js";

const chatKey = generateApiKey();
const adminKey = generateApiKey();
const slowKey = generateApiKey();

describe("authentication, scopes, per-user history, rate limits, body limit, CORS and headers", {
  timeout: 60_000,
}, () => {
  const source = uniqueName("secure").replace(/-/g, "_");
  const prefix = `${uniqueName("test-security")}:`;
  const settings = {
    REDIS_KEY_PREFIX: prefix,
    MAX_BODY_BYTES: "2000",
    CORS_ORIGINS: "https://chat.example.com",
    API_KEYS: JSON.stringify([
      { name: "web", sha256: chatKey.sha256, scopes: ["chat"], users: ["ada", "team-*"] },
      { name: "ops", sha256: adminKey.sha256, scopes: ["admin"], users: ["*"] },
      { name: "slow", sha256: slowKey.sha256, scopes: ["chat"], users: ["ada"], rate_limit_per_minute: 3 },
    ]),
  };
  let context: AppContext;
  let otherInstance: AppContext;

  beforeAll(async () => {
    context = createTestContext(settings);
    otherInstance = createTestContext(settings);
    await seedProducts(context, source);
  });

  afterAll(async () => {
    await context?.vectors?.deleteSource(source);
    await dropRedisPrefix(context, prefix);
    await Promise.all([context?.close(), otherInstance?.close()]);
  });

  const json = (body: unknown, headers: Record<string, string> = {}) => ({
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
  const bearer = (key: { key: string }) => ({ authorization: `Bearer ${key.key}` });
  const search = { query: "waterproof backpack", max_results: 1, filters: { source } };

  it("keeps /, /health and the docs public", async () => {
    expect((await createHealthApp(() => context).request("/health")).status).toBe(200);
    expect((await createServiceInfoApp(() => context).request("/")).status).toBe(200);
  });

  it("answers 401 with WWW-Authenticate without a key or with a wrong one; accepts Bearer and x-api-key", async () => {
    const app = createSearchApp(() => context);
    const missing = await app.request("/search", json(search));
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    expect(await readJson(missing)).toMatchObject({ error: { code: "unauthorized" } });
    const wrong = await app.request("/search", json(search, { authorization: `Bearer ${generateApiKey().key}` }));
    expect(wrong.status).toBe(401);
    expect((await app.request("/search", json(search, bearer(chatKey)))).status).toBe(200);
    expect((await app.request("/search", json(search, { "x-api-key": chatKey.key }))).status).toBe(200);
    expect((await createServiceInfoApp(() => context).request("/status")).status).toBe(401);
    expect((await createServiceInfoApp(() => context).request("/status", { headers: bearer(chatKey) })).status).toBe(
      200,
    );
  });

  it("needs the admin scope for ingestion", async () => {
    const app = createIngestApp(() => context);
    const body = { source: "samples", table_or_collection: "products.csv", text_fields: ["name"], max_rows: 1 };
    const refused = await app.request("/ingest-data", json(body, bearer(chatKey)));
    expect(refused.status).toBe(403);
    expect(await readJson(refused)).toMatchObject({ error: { code: "forbidden" } });
    const bad = await app.request("/ingest-data", json({ ...body, text_fields: [] }, bearer(adminKey)));
    expect(bad.status).toBe(400);
  });

  it("lets a key read, write and delete only its own users' history", async () => {
    const app = createChatApp(() => context);
    const history = createHistoryApp(() => context);
    const ask = (user: string, key = chatKey) =>
      app.request(
        "/chat",
        json({ user_name: user, message: "Which tent is light?", filters: { source } }, bearer(key)),
      );
    expect((await ask("ada")).status).toBe(200);
    expect((await ask("team-blue")).status).toBe(200);
    expect((await ask("bob")).status).toBe(403);
    expect((await history.request("/chat/history/ada", { headers: bearer(chatKey) })).status).toBe(200);
    expect((await history.request("/chat/history/bob", { headers: bearer(chatKey) })).status).toBe(403);
    expect((await history.request("/chat/history/bob", { method: "DELETE", headers: bearer(chatKey) })).status).toBe(
      403,
    );
    const read = await history.request("/chat/history/bob", { headers: bearer(adminKey) });
    expect(read.status).toBe(200);
    expect((await readJson(read)).messages).toEqual([]);
  });

  it("rate-limits per key across instances sharing Redis: 429 with Retry-After", async () => {
    // The limiter counts in fixed one-minute windows of Date.now(): the clock (and only the clock, timers
    // stay real) is pinned 20 s into a minute, so four requests can never straddle a window boundary.
    const minute = Math.floor(Date.now() / 60_000) + 1;
    vi.useFakeTimers({ toFake: ["Date"], now: minute * 60_000 + 20_000 });
    try {
      const one = createSearchApp(() => context);
      const two = createSearchApp(() => otherInstance);
      const answers = [];
      for (const app of [one, two, one, two]) answers.push(await app.request("/search", json(search, bearer(slowKey))));
      expect(answers.map((response) => response.status)).toEqual([200, 200, 200, 429]);
      const limited = answers[3] as Response;
      expect(limited.headers.get("retry-after")).toBe("40");
      expect(await readJson(limited)).toMatchObject({ error: { code: "rate_limited" } });
      // Another key has its own budget.
      expect((await one.request("/search", json(search, bearer(chatKey)))).status).toBe(200);
      // The next minute is a new window, on either instance.
      vi.setSystemTime((minute + 1) * 60_000 + 1_000);
      expect((await two.request("/search", json(search, bearer(slowKey)))).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses bodies over MAX_BODY_BYTES with 413 in the envelope", async () => {
    const response = await createSearchApp(() => context).request(
      "/search",
      json({ ...search, query: "x".repeat(3_000) }, bearer(chatKey)),
    );
    expect(response.status).toBe(413);
    expect(await readJson(response)).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("allows CORS for configured origins only, with credentials, and sets security headers", async () => {
    const app = createSearchApp(() => context);
    const preflight = (origin: string) =>
      app.request("/search", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
      });
    const allowed = await preflight("https://chat.example.com");
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://chat.example.com");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    const foreign = await preflight("https://evil.example");
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();

    const response = await app.request("/search", json(search, bearer(chatKey)));
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(response.headers.get("strict-transport-security")).toContain("max-age");
  });

  it("refuses CORS '*' and keys that are not sha256 hashes at start-up, without echoing them", () => {
    expect(() => loadConfig({ env: { CORS_ORIGINS: "*" } })).toThrow(/CORS_ORIGINS/);
    const secret = "cwd_plain_text_key_that_must_not_be_configured";
    let message = "";
    try {
      loadConfig({ env: { API_KEYS: JSON.stringify([{ name: "x", sha256: secret }]) } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/API_KEYS\[0\.sha256\]/);
    expect(message).not.toContain(secret);
  });
});
