import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readHistory } from "../../../core/chat/index.js";
import { readJson } from "../../support/http.js";
import { type ServedFixture, serveFixture } from "../../support/mcp-fixture.js";
import { readSseEvents } from "../../support/sse.js";

/** What `sources` holds on a completion and on the final chunk: the rows cited as [n]. */
interface CitedSource {
  n: number;
  content: string;
  metadata: Record<string, unknown>;
}

describe("OpenAI-compatible /v1 with the official openai client, on the real services", { timeout: 60_000 }, () => {
  let fixture: ServedFixture;
  let client: OpenAI;
  const question = "How much does the waterproof backpack cost?";

  beforeAll(async () => {
    // A small body limit, so an oversized request is cheap to send.
    fixture = await serveFixture("openai", { MAX_BODY_BYTES: "20000" });
    client = new OpenAI({ apiKey: fixture.keys.chat, baseURL: `${fixture.baseUrl}/v1`, maxRetries: 0 });
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it("lists data:all and one model per configured source", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((model) => model.id)).toEqual(["data:all", `data:${fixture.source}`]);
    expect(models[0]).toMatchObject({ object: "model", owned_by: "chat-with-your-data" });
    expect((await client.models.retrieve(`data:${fixture.source}`)).id).toBe(`data:${fixture.source}`);
  });

  it("answers a plain completion with [n] citations in the text and the cited rows in `sources`", async () => {
    const completion = await client.chat.completions.create({
      model: `data:${fixture.source}`,
      messages: [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: question },
      ],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    const content = completion.choices[0]?.message.content ?? "";
    expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: "stop", message: { role: "assistant" } });
    expect(content).toContain("89.99");
    const sources = (completion as unknown as { sources: CitedSource[] }).sources;
    const cited = [...content.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
    expect(cited.length).toBeGreaterThan(0);
    for (const n of cited) expect(sources.map((source) => source.n)).toContain(n);
    expect(sources[0]).toMatchObject({
      n: 1,
      content: expect.stringContaining("Trailblazer Backpack"),
      metadata: { source: fixture.source, table: "products.csv", row_key: "1" },
    });
  });

  it("streams chunks that reassemble to the answer, the sources on the final chunk", async () => {
    // One source, not data:all: the shared Chroma holds other tests' collections, some about backpacks too.
    const stream = await client.chat.completions.create({
      model: `data:${fixture.source}`,
      stream: true,
      messages: [{ role: "user", content: question }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ object: "chat.completion.chunk", model: `data:${fixture.source}` });
    }
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toContain("89.99");
    expect(text).toMatch(/\[1\]/);
    const last = chunks.at(-1) as unknown as { choices: { finish_reason: string }[]; sources: CitedSource[] };
    expect(last.choices[0]?.finish_reason).toBe("stop");
    expect(last.sources[0]?.content).toContain("Trailblazer Backpack");
  });

  it("sends raw SSE lines in OpenAI's chunk format, ending with data: [DONE]", async () => {
    const response = await fetch(`${fixture.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fixture.keys.chat}` },
      body: JSON.stringify({
        model: `data:${fixture.source}`,
        stream: true,
        messages: [{ role: "user", content: question }],
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const raw = await response.text();
    const blocks = raw.split("\n\n").filter(Boolean);
    // Every event is one `data:` line and nothing else (no event names, ids or comments).
    for (const block of blocks) expect(block).toMatch(/^data: [^\n]+$/);
    expect(blocks.at(-1)).toBe("data: [DONE]");
    const events = await readSseEvents(new Response(raw));
    const payloads = events.slice(0, -1).map((event) => JSON.parse(event.data));
    expect(payloads.at(-1)).toMatchObject({ choices: [{ delta: {}, finish_reason: "stop" }] });
  });

  it("takes earlier messages as the history, and saves the exchange only when `user` is given", async () => {
    const followUp = {
      model: `data:${fixture.source}`,
      messages: [
        { role: "user" as const, content: "Tell me about the tent." },
        { role: "assistant" as const, content: "The Summit Tent is a two-person tent [1]." },
        { role: "user" as const, content: "What does the Summit Tent weigh?" },
      ],
    };
    const anonymous = await client.chat.completions.create(followUp);
    expect(anonymous.choices[0]?.message.content).toContain("2.1 kg");
    const keys = await fixture.context.redis?.keys(`${fixture.env.REDIS_KEY_PREFIX}history:*`);
    expect(keys).toEqual([]);

    await client.chat.completions.create({ ...followUp, user: "mcp-openai-user" });
    const history = await readHistory(fixture.context, "mcp-openai-user", { limit: 10 });
    expect(history.messages.map((message) => [message.role, message.content.slice(0, 32)])).toEqual([
      ["user", "What does the Summit Tent weigh?"],
      ["assistant", expect.any(String)],
    ]);
  });

  const refusal = async (request: Promise<unknown>) => {
    const error = await request.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    return error as InstanceType<typeof OpenAI.APIError>;
  };

  it("refuses an unknown model, empty messages and a last message not from the user, in OpenAI's error format", async () => {
    const unknown = await refusal(
      client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: question }] }),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.error).toEqual({
      message: "The model 'gpt-4o' does not exist; GET /v1/models lists them",
      type: "invalid_request_error",
      param: "model",
      code: "model_not_found",
    });
    expect((await refusal(client.models.retrieve("data:nowhere"))).status).toBe(404);

    const empty = await refusal(client.chat.completions.create({ model: "data:all", messages: [] }));
    expect(empty.status).toBe(400);
    expect(empty.error).toMatchObject({ type: "invalid_request_error", param: "messages", code: "validation_error" });

    const lastIsAssistant = await refusal(
      client.chat.completions.create({ model: "data:all", messages: [{ role: "assistant", content: "Hello" }] }),
    );
    expect(lastIsAssistant.status).toBe(400);
    expect(lastIsAssistant.error).toMatchObject({ param: "messages", code: "invalid_messages" });
  });

  it("refuses an oversized body with 413, and a user the key may not act for with 403", async () => {
    const oversized = await refusal(
      client.chat.completions.create({
        model: "data:all",
        messages: [
          { role: "user", content: "x".repeat(25_000) },
          { role: "user", content: question },
        ],
      }),
    );
    expect(oversized.status).toBe(413);
    expect(oversized.error).toMatchObject({ type: "invalid_request_error", code: "payload_too_large" });

    const otherUser = await refusal(
      client.chat.completions.create({
        model: "data:all",
        user: "not-mine",
        messages: [{ role: "user", content: question }],
      }),
    );
    expect(otherUser.status).toBe(403);
    expect(otherUser.error).toMatchObject({ type: "permission_error", code: "forbidden" });
  });

  it("refuses a missing or wrong key with 401, and a key over its rate limit with 429", async () => {
    const anonymous = new OpenAI({ apiKey: "cwd_not-a-key", baseURL: `${fixture.baseUrl}/v1`, maxRetries: 0 });
    const wrong = await refusal(anonymous.models.list());
    expect(wrong.status).toBe(401);
    expect(wrong.error).toMatchObject({ type: "authentication_error", code: "unauthorized" });
    const missing = await fetch(`${fixture.baseUrl}/v1/models`);
    expect(missing.status).toBe(401);
    expect((await readJson(missing)).error).toMatchObject({ type: "authentication_error", param: null });

    const limited = new OpenAI({ apiKey: fixture.keys.limited, baseURL: `${fixture.baseUrl}/v1`, maxRetries: 0 });
    for (let request = 0; request < 3; request++) await limited.models.list();
    const over = await refusal(limited.models.list());
    expect(over.status).toBe(429);
    expect(over.error).toMatchObject({ type: "rate_limit_error", code: "rate_limited" });
  });
});
