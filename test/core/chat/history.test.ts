import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearHistory, historyKey, readHistory, recentTurns, saveExchange } from "../../../core/chat/index.js";
import type { AppContext } from "../../../core/context/index.js";
import { ComponentUnavailableError, InvalidInputError } from "../../../core/errors/index.js";
import { createTestContext } from "../../support/app-context.js";
import { rejectionOf } from "../../support/llm-doubles/streams.js";
import { uniqueName } from "../../support/services.js";
import { dropRedisPrefix } from "./chat-fixture.js";

const exchange = (n: number) => ({ question: `question ${n}`, answer: `answer ${n}`, provider: "extractive" });

describe("chat history in Redis", () => {
  const prefix = `${uniqueName("test-history")}:`;
  let context: AppContext;
  let other: AppContext;

  beforeAll(() => {
    const overrides = { REDIS_KEY_PREFIX: prefix, CHAT_HISTORY_MAX_MESSAGES: "6", CHAT_HISTORY_TTL_SECONDS: "600" };
    context = createTestContext(overrides);
    // A second app instance: its own Redis connection, the same server and prefix.
    other = createTestContext(overrides);
  });

  afterAll(async () => {
    await dropRedisPrefix(context, prefix);
    await context?.close();
    await other?.close();
  });

  it("saves both turns of an exchange, trims to the cap and sets a TTL", async () => {
    for (let n = 1; n <= 5; n++) await saveExchange(context, "ada", exchange(n));
    const page = await readHistory(context, "ada", { limit: 100 });
    // Cap 6 messages: the three newest exchanges survive, oldest first.
    expect(page.messages.map((message) => message.content)).toEqual([
      "question 3",
      "answer 3",
      "question 4",
      "answer 4",
      "question 5",
      "answer 5",
    ]);
    expect(page.messages.map((message) => message.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
    expect(page.messages[1]?.provider).toBe("extractive");
    expect(page.messages[0]?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(page.nextBefore).toBeUndefined();
    const ttl = await context.redis?.ttl(historyKey(prefix, "ada"));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it("pages backwards with `before`, oldest first within each page", async () => {
    const newest = await readHistory(context, "ada", { limit: 4 });
    expect(newest.messages.map((message) => message.content)).toEqual([
      "question 4",
      "answer 4",
      "question 5",
      "answer 5",
    ]);
    const indexes = newest.messages.map((message) => message.index);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(newest.nextBefore).toBe(newest.messages[0]?.index);

    const older = await readHistory(context, "ada", { limit: 4, before: newest.nextBefore });
    expect(older.messages.map((message) => message.content)).toEqual(["question 3", "answer 3"]);
    expect(older.nextBefore).toBeUndefined();
  });

  it("gives the prompt the last N turns, never opening with an answer", async () => {
    const turns = await recentTurns(context, "ada", 2);
    expect(turns.map((message) => message.content)).toEqual(["question 4", "answer 4", "question 5", "answer 5"]);
    expect(await recentTurns(context, "ada", 0)).toEqual([]);
  });

  it("keeps users apart, and shares history between two app instances", async () => {
    await saveExchange(other, "grace", exchange(1));
    const grace = await readHistory(context, "grace", { limit: 10 });
    expect(grace.messages.map((message) => message.content)).toEqual(["question 1", "answer 1"]);
    const ada = await readHistory(other, "ada", { limit: 10 });
    expect(ada.messages.map((message) => message.content)).not.toContain("question 1");
    expect(ada.messages).toHaveLength(6);
  });

  it("clears one user's history and leaves the others", async () => {
    expect(await clearHistory(other, "grace")).toBe(true);
    expect((await readHistory(context, "grace", { limit: 10 })).messages).toEqual([]);
    expect(await clearHistory(context, "grace")).toBe(false);
    expect((await readHistory(context, "ada", { limit: 10 })).messages).toHaveLength(6);
  });

  it("refuses user names that could collide or reach other keys", async () => {
    for (const name of ["", "a:b", "ada*", "x".repeat(65), "ada smith", "../ada", "ada\n"]) {
      expect(await rejectionOf(readHistory(context, name, { limit: 1 })), JSON.stringify(name)).toBeInstanceOf(
        InvalidInputError,
      );
    }
    await saveExchange(context, "a.b_c-d@e", exchange(1));
    expect((await readHistory(context, "a.b_c-d@e", { limit: 10 })).messages).toHaveLength(2);
  });

  it("fails with a typed error when Redis is not configured", async () => {
    const settings = { ...context.settings };
    const error = await rejectionOf(readHistory({ settings, redis: undefined }, "ada", { limit: 1 }));
    expect(error).toBeInstanceOf(ComponentUnavailableError);
  });
});
