import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { noDocumentsAnswer, toolSystemPrompt } from "../../../core/chat/index.js";
import type { AppContext } from "../../../core/context/index.js";
import { createChatApp } from "../../../functions/http/chat.js";
import { createHistoryApp } from "../../../functions/http/history.js";
import { seededChat } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { testServices } from "../../support/services.js";

const apiKey = "sk-test-chat-key-4242";

describe("POST /chat and the history endpoints, on the real services", () => {
  const run = seededChat(
    "chat",
    () => startOpenAiDouble({ apiKey }),
    () => createTestContext(settingsFor()),
  );
  const { source, prefix } = run;

  const settingsFor = (overrides: Record<string, string> = {}): Record<string, string> => ({
    REDIS_KEY_PREFIX: prefix,
    LLM_PROVIDER: "extractive",
    OPENAI_BASE_URL: run.double.baseUrl,
    OPENAI_API_KEY: apiKey,
    OPENAI_MODEL: "llama3.1",
    LLM_TIMEOUT_MS: "3000",
    ...overrides,
  });
  const send = async (method: string, path: string, body?: unknown, target: AppContext = run.context) => {
    const create = path.startsWith("/chat/history/") ? createHistoryApp : createChatApp;
    const response = await create(() => target).request(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
  };
  const chat = (body: Record<string, unknown>, target?: AppContext) =>
    send("POST", "/chat", { filters: { source }, ...body }, target);

  it("answers offline with the extractive provider, citing the relevant document", async () => {
    const { status, body } = await chat({ user_name: "ada", message: "How much does the waterproof backpack cost?" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.provider).toBe("extractive");
    expect(body.user_name).toBe("ada");
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/);
    const backpack = body.sources.find(
      (item: { metadata: { name: string } }) => item.metadata.name === "Trailblazer Backpack",
    );
    expect(backpack.n).toBe(1);
    expect(body.sources.map((item: { n: number }) => item.n)).toEqual([1, 2, 3]);
    expect(body.response).toContain("89.99");
    expect(body.response).toContain("[1]");
    expect(body.response).toMatch(/extracted/i);
  });

  it("sends the OpenAI-compatible model the system prompt, history, numbered documents and question, in order", async () => {
    await send("DELETE", "/chat/history/grace");
    run.double.script({ text: "The backpack is waterproof [1]." });
    const first = await chat({ user_name: "grace", message: "Is the backpack waterproof?", provider: "openai" });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ provider: "openai", response: "The backpack is waterproof [1]." });

    run.double.script({ text: "It costs 89.99 [1]." });
    const second = await chat({
      user_name: "grace",
      message: "And what does it cost?",
      provider: "openai",
      max_results: 2,
    });
    expect(second.status).toBe(200);
    const sent = run.double.requests.at(-1)?.body as { messages: { role: string; content: string }[] };
    expect(sent.messages.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
    // Documents were found, so the model may search for more: the prompt that offers tools.
    expect(sent.messages[0]?.content).toBe(toolSystemPrompt);
    expect(sent.messages[1]?.content).toBe("Is the backpack waterproof?");
    expect(sent.messages[2]?.content).toBe("The backpack is waterproof [1].");
    const last = sent.messages[3]?.content ?? "";
    expect(last).toMatch(/^Documents:\n\[1\] \([^)]*name: Trailblazer Backpack[^)]*\)\nname: Trailblazer Backpack/);
    expect(last).toMatch(/^Documents:\n\[1\] \([^)]*source: chat_/);
    expect(last).toContain("\n\n[2] (");
    expect(last).not.toContain("[3] (");
    expect(last.endsWith("Question: And what does it cost?")).toBe(true);

    run.double.script({ text: "No history here." });
    await chat({ user_name: "grace", message: "Fresh start?", provider: "openai", include_history: false });
    const alone = run.double.requests.at(-1)?.body as { messages: { role: string }[] };
    expect(alone.messages.map((message) => message.role)).toEqual(["system", "user"]);
  });

  it("turns a provider's 429 into a 503 with Retry-After, after retrying", async () => {
    run.double.script({ statuses: [429, 429, 429], errorHeaders: { "retry-after": "1" } });
    const { status, headers, body } = await chat({ user_name: "ada", message: "backpack price?", provider: "openai" });
    expect(status).toBe(503);
    expect(headers.get("retry-after")).toBe("1");
    expect(body.error.code).toBe("llm_rate_limited");
    expect(body.error.message).toContain("openai");
    expect(run.double.requests).toHaveLength(3);
  });

  it("turns a provider that keeps failing with 500 into a 502, and one that hangs into a 504", async () => {
    run.double.script({ statuses: [500, 500, 500] });
    const failing = await chat({ user_name: "ada", message: "backpack price?", provider: "openai" });
    expect(failing.status).toBe(502);
    expect(failing.body.error).toMatchObject({ code: "llm_unavailable", details: { provider: "openai" } });
    expect(failing.body.error.message).toBe("The LLM provider 'openai' failed with a server error");

    run.double.script({ hang: "before-headers" });
    const before = run.double.requests.length;
    const hanging = await chat({ user_name: "ada", message: "backpack price?", provider: "openai" });
    expect(hanging.status).toBe(504);
    expect(hanging.body.error.code).toBe("llm_timeout");
    // Retries must not multiply LLM_TIMEOUT_MS: a timed-out call spent its budget and is not retried.
    expect(run.double.requests.length - before).toBe(1);
  });

  it("turns a refused key into a 502 that never shows the key", async () => {
    const wrongKey = "sk-wrong-key-9999";
    const misconfigured = createTestContext(settingsFor({ OPENAI_API_KEY: wrongKey }));
    try {
      const { status, text, body } = await chat(
        { user_name: "ada", message: "backpack?", provider: "openai" },
        misconfigured,
      );
      expect(status).toBe(502);
      expect(body.error.code).toBe("llm_authentication_failed");
      expect(body.error.message).toContain("openai");
      expect(text).not.toContain(wrongKey);
      expect(text).not.toContain(apiKey);
    } finally {
      await misconfigured.close();
    }
  });

  it("answers gracefully when nothing is stored for the filter", async () => {
    const empty = `${source}_empty`;
    for (const provider of ["extractive", "openai"]) {
      const { status, body } = await chat({
        user_name: "ada",
        message: "Anything?",
        filters: { source: empty },
        provider,
      });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ response: noDocumentsAnswer, sources: [], provider });
    }
    expect(run.double.requests).toHaveLength(0);

    const strict = createTestContext(settingsFor({ CHAT_MIN_SCORE: "0.99" }));
    try {
      const { status, body } = await chat({ user_name: "ada", message: "backpack price?" }, strict);
      expect(status).toBe(200);
      expect(body).toMatchObject({ response: noDocumentsAnswer, sources: [] });
    } finally {
      await strict.close();
    }
  });

  it("answers 503 naming Redis when history has nowhere to live", async () => {
    const noRedis = createTestContext(settingsFor({ REDIS_URL: "" }));
    try {
      const { status, headers, body } = await send("GET", "/chat/history/ada", undefined, noRedis);
      expect(status).toBe(503);
      expect(headers.get("retry-after")).toBeTruthy();
      expect(body.error).toMatchObject({ code: "component_unavailable", details: { component: "redis" } });
    } finally {
      await noRedis.close();
    }
  });

  it("refuses bad user names, bodies and providers with 400", async () => {
    for (const user_name of ["", "a:b", "ada*", "x".repeat(65), "a b"]) {
      expect((await chat({ user_name, message: "hi" })).status, user_name).toBe(400);
    }
    expect((await chat({ user_name: "ada", message: "" })).status).toBe(400);
    expect((await chat({ user_name: "ada", message: "x".repeat(4_001) })).status).toBe(400);
    expect((await chat({ user_name: "ada", message: "hi", max_results: 21 })).status).toBe(400);
    expect((await chat({ user_name: "ada", message: "hi", filters: { $where: "1" } })).status).toBe(400);
    const unknown = await chat({ user_name: "ada", message: "hi", provider: "gemini" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe("unknown_llm_provider");
    expect((await send("GET", "/chat/history/a%3Ab")).status).toBe(400);
    expect((await send("DELETE", "/chat/history/ada%2A")).status).toBe(400);
  });

  it("pages a user's history and clears it, visible from a second instance", async () => {
    const user = "history.user";
    await send("DELETE", `/chat/history/${user}`);
    for (const message of ["backpack?", "lamp?", "tent?"]) {
      expect((await chat({ user_name: user, message, include_history: false })).status).toBe(200);
    }
    const second = createTestContext(settingsFor());
    try {
      const page = await send("GET", `/chat/history/${user}?limit=4`, undefined, second);
      expect(page.status).toBe(200);
      expect(page.body.messages.map((message: { role: string }) => message.role)).toEqual([
        "user",
        "assistant",
        "user",
        "assistant",
      ]);
      expect(page.body.messages[0].content).toBe("lamp?");
      expect(page.body.messages[1].provider).toBe("extractive");
      const older = await send(
        "GET",
        `/chat/history/${user}?limit=4&before=${page.body.next_before}`,
        undefined,
        second,
      );
      expect(older.body.messages.map((message: { content: string }) => message.content)[0]).toBe("backpack?");
      expect(older.body.next_before).toBeNull();

      expect((await send("DELETE", `/chat/history/${user}`, undefined, second)).body).toEqual({
        user_name: user,
        deleted: true,
      });
      expect((await send("GET", `/chat/history/${user}`)).body.messages).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it("keeps history in the test Redis database, and nowhere else", async () => {
    expect((await chat({ user_name: "redis.db", message: "backpack?", include_history: false })).status).toBe(200);
    // Read back on connections of our own: the service's writes land in database 15, and database 0 has none of them.
    const testDatabase = new Redis(testServices.redisUrl, { lazyConnect: true });
    const defaultDatabase = new Redis(testServices.redisUrl.replace(/\/\d+$/, "/0"), { lazyConnect: true });
    try {
      expect(testServices.redisUrl).toMatch(/\/15$/);
      expect((await testDatabase.keys(`${prefix}*`)).length).toBeGreaterThan(0);
      expect(await defaultDatabase.keys(`${prefix}*`)).toEqual([]);
    } finally {
      testDatabase.disconnect();
      defaultDatabase.disconnect();
    }
  });
});
