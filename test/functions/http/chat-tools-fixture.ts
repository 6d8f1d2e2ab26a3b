import { afterAll, beforeAll, beforeEach } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createChatApp } from "../../../functions/http/chat.js";
import { createChatStreamApp } from "../../../functions/http/chat-stream.js";
import { createHistoryApp } from "../../../functions/http/history.js";
import { seedProducts } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { uniqueName } from "../../support/services.js";
import { readSseEvents } from "../../support/sse.js";
import { releaseRun } from "../../support/test-run.js";

export interface ToolsContext {
  source: string;
  context: AppContext;
  close(): Promise<void>;
}

/**
 * A context with one CSV source over the bundled samples, `products.csv` open to queries and
 * `articles.jsonl` not, and three rows stored as vectors so the prompt has documents [1]–[3].
 */
export async function toolsContext(name: string, overrides: Record<string, string>): Promise<ToolsContext> {
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

/**
 * A tool-loop test's run, registered on the enclosing describe block: a started double, and two
 * contexts over it (`fixture`, and `bounded` at `maxToolCalls` calls a question); the double's
 * script is reset before each test, and all is closed afterwards.
 */
export function toolsRun<Double extends { script(): void; close(): Promise<void> }>(
  name: string,
  start: () => Promise<Double>,
  settingsOf: (double: Double) => Record<string, string>,
  maxToolCalls: number,
): { readonly double: Double; readonly fixture: ToolsContext; readonly bounded: ToolsContext } {
  let double: Double | undefined;
  let fixture: ToolsContext | undefined;
  let bounded: ToolsContext | undefined;
  beforeAll(async () => {
    double = await start();
    const settings = settingsOf(double);
    fixture = await toolsContext(name, settings);
    bounded = await toolsContext(`${name}bound`, { ...settings, CHAT_MAX_TOOL_CALLS: String(maxToolCalls) });
  });
  beforeEach(() => double?.script());
  afterAll(async () => {
    await fixture?.close();
    await bounded?.close();
    await double?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the tools run starts in beforeAll");
    return value;
  };
  return {
    get double() {
      return started(double);
    },
    get fixture() {
      return started(fixture);
    },
    get bounded() {
      return started(bounded);
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
      const response = await createHistoryApp(getContext).request("/chat/history/tools.user");
      return JSON.parse(await response.text());
    },
    clearHistory: () => createHistoryApp(getContext).request("/chat/history/tools.user", { method: "DELETE" }),
  };
}
