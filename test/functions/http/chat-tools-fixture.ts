import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import type { AppContext } from "../../../core/context/index.js";
import { createChatApp } from "../../../functions/http/chat.js";
import { createChatStreamApp } from "../../../functions/http/chat-stream.js";
import { seedProducts } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { uniqueName } from "../../support/services.js";
import { readSseEvents } from "../../support/sse.js";
import { releaseRun } from "../../support/test-run.js";

/**
 * The cheapest standing desk in the bundled samples, read from the CSV itself (not from the
 * service), so the test checks the service's query against the file rather than against itself.
 */
export function cheapestStandingDesk(): { name: string; price: number; count: number } {
  const rows = parse(readFileSync("data/samples/products.csv"), { columns: true }) as Record<string, string>[];
  const desks = rows
    .filter((row) => (row.name ?? "").toLowerCase().includes("standing desk"))
    .map((row) => ({ name: row.name ?? "", price: Number(row.price) }))
    .sort((a, b) => a.price - b.price);
  const cheapest = desks[0];
  if (!cheapest) throw new Error("the samples hold no standing desk");
  return { ...cheapest, count: desks.length };
}

/** The spec a model writes for "what does the cheapest standing desk cost?". */
export const cheapestDeskSpec = (source: string) => ({
  source,
  table: "products.csv",
  filters: [{ column: "name", op: "contains", value: "standing desk" }],
  columns: ["name", "price"],
  order_by: [{ key: "price" }],
  limit: 1,
});

/**
 * A context with one CSV source over the bundled samples, `products.csv` open to queries and
 * `articles.jsonl` not, and three rows stored as vectors so the prompt has documents [1]–[3].
 */
export async function toolsContext(name: string, overrides: Record<string, string>) {
  const source = uniqueName(name).replace(/-/g, "_");
  const prefix = `${uniqueName(`test-${name}`)}:`;
  const context = createTestContext({
    REDIS_KEY_PREFIX: prefix,
    SOURCES: JSON.stringify([{ name: source, kind: "csv", path: "samples", query_tables: ["products.csv"] }]),
    LLM_TIMEOUT_MS: "5000",
    ...overrides,
  });
  await seedProducts(context, source);
  return {
    source,
    context,
    async close() {
      await releaseRun(context, { sources: [source], redisPrefix: prefix });
    },
  };
}

export function chatClient(getContext: () => AppContext, source: string) {
  const request = (path: string, body: Record<string, unknown>) =>
    (path === "/chat/stream" ? createChatStreamApp : createChatApp)(getContext).request(path, {
      method: "POST",
      body: JSON.stringify({ filters: { source }, user_name: "tools.user", include_history: false, ...body }),
      headers: { "content-type": "application/json" },
    });
  return {
    async chat(body: Record<string, unknown>) {
      const response = await request("/chat", body);
      const text = await response.text();
      return { status: response.status, text, body: JSON.parse(text) };
    },
    /** The stream's events with their data parsed, `[DONE]` kept as a string. */
    async stream(body: Record<string, unknown>) {
      const response = await request("/chat/stream", body);
      const events = await readSseEvents(response);
      return events.map((event) => ({
        event: event.event,
        data: event.data === "[DONE]" ? event.data : JSON.parse(event.data),
      }));
    },
    async history() {
      const response = await createChatApp(getContext).request("/chat/history/tools.user");
      return JSON.parse(await response.text());
    },
    clearHistory: () => createChatApp(getContext).request("/chat/history/tools.user", { method: "DELETE" }),
  };
}
