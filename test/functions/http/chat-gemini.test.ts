import { describe, expect, it } from "vitest";
import { createChatApp } from "../../../functions/http/chat.js";
import { createChatStreamApp } from "../../../functions/http/chat-stream.js";
import { seededChat } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import { startGeminiDouble } from "../../support/llm-doubles/gemini-double.js";
import { readSseEvents } from "../../support/sse.js";

const apiKey = "gemini-test-key-3141";

describe("/chat and /chat/stream through the Gemini provider (real @google/genai against a wire-format double)", () => {
  const run = seededChat(
    "chatgemini",
    () => startGeminiDouble({ apiKey }),
    (double, prefix) =>
      createTestContext({
        REDIS_KEY_PREFIX: prefix,
        GEMINI_API_KEY: apiKey,
        GEMINI_BASE_URL: double.url,
        LLM_PROVIDER: "gemini",
        LLM_TIMEOUT_MS: "3000",
      }),
  );
  const { source, prefix } = run;

  const post = (path: string, body: Record<string, unknown>) =>
    (path === "/chat/stream" ? createChatStreamApp : createChatApp)(() => run.context).request(path, {
      method: "POST",
      body: JSON.stringify({ filters: { source }, user_name: "grace", ...body }),
      headers: { "content-type": "application/json" },
    });

  it("sends the documents and the question, and answers with sources", async () => {
    run.double.script({ text: "It costs 89.99 [1]." });
    const response = await post("/chat", { message: "How much is the waterproof backpack?" });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ response: "It costs 89.99 [1].", provider: "gemini", user_name: "grace" });
    expect(body.sources.length).toBeGreaterThan(0);
    const sent = JSON.stringify(run.double.requests.at(-1)?.body);
    expect(sent).toContain("How much is the waterproof backpack?");
    expect(sent).toContain("[1]");
    expect(run.double.requests.at(-1)?.headers["x-goog-api-key"]).toBe(apiKey);
  });

  it("streams Gemini's deltas as content events", async () => {
    run.double.script({ text: "The backpack costs 89.99 [1].", chunks: ["The backpack ", "costs ", "89.99 [1]."] });
    const events = await readSseEvents(await post("/chat/stream", { message: "Backpack price?" }));
    expect(events[0]?.event).toBe("sources");
    const deltas = events.filter((event) => event.event === "content").map((event) => JSON.parse(event.data).delta);
    expect(deltas.join("")).toBe("The backpack costs 89.99 [1].");
    expect(events.at(-1)?.data).toBe("[DONE]");
  });

  it("surfaces a lasting 429 as 503 with Retry-After, and a refused key as 502 without the key", async () => {
    run.double.script({ statuses: [429, 429, 429, 429], retryDelay: "1s" });
    const limited = await post("/chat", { message: "Backpack price?" });
    expect(limited.status).toBe(503);
    expect(limited.headers.get("retry-after")).toBeTruthy();

    const wrongKey = createTestContext({
      REDIS_KEY_PREFIX: prefix,
      GEMINI_API_KEY: "wrong-key-2718",
      GEMINI_BASE_URL: run.double.url,
      LLM_PROVIDER: "gemini",
    });
    try {
      const refused = await createChatApp(() => wrongKey).request("/chat", {
        method: "POST",
        body: JSON.stringify({ filters: { source }, user_name: "grace", message: "Backpack price?" }),
        headers: { "content-type": "application/json" },
      });
      expect(refused.status).toBe(502);
      const text = await refused.text();
      expect(text).not.toContain("wrong-key-2718");
      expect(text).not.toContain(apiKey);
    } finally {
      await wrongKey.close();
    }
  });
});
