import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../core/context/index.js";
import { createChatApp } from "../../functions/http/chat.js";
import { createHealthApp } from "../../functions/http/health.js";
import { createHistoryApp } from "../../functions/http/history.js";
import { createIngestAsyncApp } from "../../functions/http/ingest-async.js";
import { createSearchApp } from "../../functions/http/search.js";
import { seedProducts } from "../core/chat/chat-fixture.js";
import { createTestContext } from "../support/app-context.js";
import { readJson } from "../support/http.js";
import { type PrivateService, privateService } from "../support/private-service.js";
import { waitFor } from "../support/processes.js";

const post = (body: unknown) => ({
  method: "POST",
  body: JSON.stringify(body),
  headers: { "content-type": "application/json" },
});
const question = { user_name: "ada", message: "Which tent is light?", filters: { source: "faults" } };

async function timed(operation: () => Response | Promise<Response>): Promise<{ result: Response; ms: number }> {
  const started = performance.now();
  const result = await operation();
  return { result, ms: performance.now() - started };
}

describe("Chroma stopped and restarted with the service scripts", { timeout: 240_000 }, () => {
  let chroma: PrivateService;
  let context: AppContext;

  beforeAll(async () => {
    chroma = await privateService("chroma");
    await chroma.up();
    context = createTestContext({ CHROMA_URL: chroma.url, REDIS_KEY_PREFIX: "faults-chroma:" });
    await seedProducts(context, "faults");
  });

  afterAll(async () => {
    await context?.close();
    await chroma?.destroy();
  });

  it("/search and /chat answer 503 naming the vector store without waiting out a timeout, /health 503; all recover on their own", async () => {
    const search = () =>
      createSearchApp(() => context).request("/search", post({ query: "tent", filters: { source: "faults" } }));
    expect((await search()).status).toBe(200);
    await chroma.down();

    const down = await timed(search);
    expect(down.result.status).toBe(503);
    // A refused connection is answered at once; the bound only tells that from a timeout waited out, with room
    // for a loaded 2-core machine (the speed itself is not under test).
    expect(down.ms).toBeLessThan(15_000);
    expect(await readJson(down.result)).toMatchObject({ error: { details: { component: "vector_store" } } });
    const chat = await timed(() => createChatApp(() => context).request("/chat", post(question)));
    expect(chat.result.status).toBe(503);
    expect(chat.ms).toBeLessThan(15_000);
    expect(await readJson(chat.result)).toMatchObject({ error: { details: { component: "vector_store" } } });
    const health = await createHealthApp(() => context).request("/health");
    expect(health.status).toBe(503);
    expect((await readJson(health)).unavailable).toContain("vector_store");

    await chroma.up();
    await waitFor(async () => (await search()).status === 200, 30_000, "search after chroma restarted");
    expect((await createChatApp(() => context).request("/chat", post(question))).status).toBe(200);
    expect((await createHealthApp(() => context).request("/health")).status).toBe(200);
  });
});

describe("Redis stopped and restarted with the service scripts", { timeout: 240_000 }, () => {
  let redis: PrivateService;
  let lenient: AppContext;
  let strict: AppContext;

  beforeAll(async () => {
    redis = await privateService("redis");
    await redis.up();
    lenient = createTestContext({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: "faults-redis:" });
    strict = createTestContext({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: "faults-redis:",
      CHAT_HISTORY_REQUIRED: "true",
    });
    await seedProducts(lenient, "faults");
  });

  afterAll(async () => {
    await lenient?.vectors?.deleteSource("faults");
    await Promise.all([lenient?.close(), strict?.close()]);
    await redis?.destroy();
  });

  it("chat answers without history (with a warning) or 503 by setting; status endpoints 503; recovery without restart", async () => {
    const ask = (context: AppContext) => createChatApp(() => context).request("/chat", post(question));
    const first = await ask(lenient);
    expect(first.status).toBe(200);
    expect((await readJson(first)).warnings).toBeUndefined();
    await redis.down();

    const degraded = await ask(lenient);
    expect(degraded.status).toBe(200);
    const body = await readJson(degraded);
    expect(body.response).toContain("Summit Tent");
    expect(body.warnings?.[0]).toContain("history is unavailable");
    const refused = await ask(strict);
    expect(refused.status).toBe(503);
    expect(await readJson(refused)).toMatchObject({ error: { details: { component: "redis" } } });
    const batches = await createIngestAsyncApp(() => lenient).request("/recent-batches");
    expect(batches.status).toBe(503);
    const history = await createHistoryApp(() => lenient).request("/chat/history/ada");
    expect(history.status).toBe(503);

    await redis.up();
    await waitFor(
      async () => (await createHistoryApp(() => lenient).request("/chat/history/ada")).status === 200,
      30_000,
      "history after redis restarted",
    );
    const recovered = await readJson(await ask(strict));
    expect(recovered.warnings).toBeUndefined();
    const saved = await readJson(await createHistoryApp(() => lenient).request("/chat/history/ada"));
    // Redis keeps nothing across the restart (no persistence): only the exchange after recovery is there.
    expect(saved.messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant"]);
  });
});
