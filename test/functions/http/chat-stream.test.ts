import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { serve } from "@hono/node-server";
import { describe, expect, it } from "vitest";
import { readHistory } from "../../../core/chat/index.js";
import { createAppContext } from "../../../core/context/index.js";
import { createLogger } from "../../../core/logging/index.js";
import { createChatStreamApp } from "../../../functions/http/chat-stream.js";
import { seededChat } from "../../core/chat/chat-fixture.js";
import { startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { waitFor } from "../../support/processes.js";
import { testSettings } from "../../support/services.js";
import { readEventsUntil, readSseEvents, type SseEvent } from "../../support/sse.js";

const apiKey = "sk-test-stream-key-77";

describe("POST /chat/stream, Server-Sent Events on the real services", () => {
  const logs: Record<string, unknown>[] = [];
  const run = seededChat(
    "chatstream",
    () => startOpenAiDouble({ apiKey }),
    (double, prefix) => {
      const settings = testSettings({
        REDIS_KEY_PREFIX: prefix,
        LLM_PROVIDER: "extractive",
        OPENAI_BASE_URL: double.baseUrl,
        OPENAI_API_KEY: apiKey,
        LLM_TIMEOUT_MS: "3000",
        LOG_LEVEL: "info",
      });
      const sink = new Writable({
        write(chunk, _encoding, callback) {
          logs.push(JSON.parse(String(chunk)));
          callback();
        },
      });
      return createAppContext(settings, createLogger(settings, sink));
    },
  );
  const { source } = run;
  /** The server's own word that a request's stream is over: nothing of that request runs after it. */
  const streamEnd = (requestId: string | null) =>
    logs.find((line) => line.msg === "chat stream ended" && line.request_id === requestId);

  const open = (body: Record<string, unknown>) =>
    createChatStreamApp(() => run.context).request("/chat/stream", {
      method: "POST",
      body: JSON.stringify({ filters: { source }, ...body }),
      headers: { "content-type": "application/json" },
    });
  /** The model request, once the double saw its connection close. */
  const upstreamClosed = async () => {
    const upstream = run.double.requests[0];
    // A bound that tells "never" from "late" on a loaded machine, not a speed: the close is what is checked.
    await Promise.race([
      upstream?.closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error("the double never saw the close")), 20_000)),
    ]);
    return upstream;
  };
  const payloads = (events: SseEvent[]) =>
    events
      .filter((event) => event.data !== "[DONE]")
      .map((event) => ({ event: event.event, data: JSON.parse(event.data) }));

  it("sends sources first, then content deltas, done and [DONE], each data a typed JSON object", async () => {
    const response = await open({ user_name: "ada", message: "How much does the waterproof backpack cost?" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readSseEvents(response);
    const names = events.map((event) => event.event);
    expect(names[0]).toBe("sources");
    expect(names.at(-2)).toBe("done");
    expect(events.at(-1)).toEqual({ event: "message", data: "[DONE]", id: undefined });
    expect(new Set(names.slice(1, -2))).toEqual(new Set(["content"]));
    for (const { event, data } of payloads(events)) expect(data.type).toBe(event);

    const [sources, ...rest] = payloads(events);
    expect(sources?.data.sources[0]).toMatchObject({ n: 1, metadata: { name: "Trailblazer Backpack" } });
    const deltas = rest.filter((item) => item.event === "content").map((item) => item.data.delta);
    const done = rest.find((item) => item.event === "done")?.data;
    expect(deltas.join("")).toBe(done.response);
    expect(done.response).toContain("89.99");
    expect(done.timings.total_ms).toBeGreaterThanOrEqual(done.timings.retrieval_ms);

    const history = await readHistory(run.context, "ada", { limit: 2 });
    expect(history.messages.map((message) => message.content)).toEqual([
      "How much does the waterproof backpack cost?",
      done.response,
    ]);
  });

  it("streams an OpenAI-compatible model's deltas, which reassemble to its text", async () => {
    const text = "The Trailblazer Backpack is waterproof and costs 89.99 [1].";
    run.double.script({ text, chunkDelayMs: 1 });
    const events = payloads(
      await readSseEvents(await open({ user_name: "ada", message: "Backpack?", provider: "openai" })),
    );
    const deltas = events.filter((item) => item.event === "content").map((item) => item.data.delta);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe(text);
    expect(events.at(-1)).toMatchObject({ event: "done", data: { type: "done", response: text } });
    expect(run.double.requests[0]?.body).toMatchObject({ stream: true });
  });

  it("reports a failure mid-stream as an error event, then [DONE], and saves nothing", async () => {
    run.double.script({ midStreamError: true });
    const events = await readSseEvents(
      await open({ user_name: "midstream", message: "Backpack?", provider: "openai" }),
    );
    const names = events.map((event) => event.event);
    expect(names.slice(0, 2)).toEqual(["sources", "content"]);
    expect(names.at(-2)).toBe("error");
    expect(events.at(-1)?.data).toBe("[DONE]");
    const error = JSON.parse(events.at(-2)?.data ?? "{}");
    expect(error).toEqual({
      type: "error",
      error: { code: "llm_unavailable", message: "The LLM provider 'openai' is unavailable" },
    });
    expect((await readHistory(run.context, "midstream", { limit: 10 })).messages).toEqual([]);
  });

  it("answers a bad request with a JSON error before any stream opens", async () => {
    const response = await open({ user_name: "ada", message: "x", provider: "nope" });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/json/);
  });

  it("aborts the model call when the client disconnects, and saves no history", async () => {
    run.double.script({ text: "word ".repeat(200), chunkDelayMs: 50 });
    const response = await open({ user_name: "leaver", message: "Tell me everything", provider: "openai" });
    const reader = response.body?.getReader();
    if (!reader) throw new Error("no body");
    const seen = await readEventsUntil(reader, "content");
    expect(seen).toEqual(["sources", "content"]);
    await reader.cancel();

    const upstream = await upstreamClosed();
    expect(upstream?.closedEarly).toBe(true);
    // Checked once the server has finished with the request, so a late save would be seen.
    const requestId = response.headers.get("x-request-id");
    await waitFor(async () => streamEnd(requestId) !== undefined, 10_000, "the end of the abandoned stream");
    expect(streamEnd(requestId)).toMatchObject({ outcome: "client_disconnected" });
    expect((await readHistory(run.context, "leaver", { limit: 10 })).messages).toEqual([]);
  });

  it("aborts the model call when a real HTTP client drops the connection", async () => {
    run.double.script({ text: "word ".repeat(200), chunkDelayMs: 50 });
    const server = serve({ fetch: createChatStreamApp(() => run.context).fetch, port: 0, hostname: "127.0.0.1" });
    try {
      await new Promise<void>((resolve) => server.once("listening", () => resolve()));
      const { port } = server.address() as AddressInfo;
      const client = new AbortController();
      const response = await fetch(`http://127.0.0.1:${port}/chat/stream`, {
        method: "POST",
        body: JSON.stringify({ filters: { source }, user_name: "dropper", message: "Everything", provider: "openai" }),
        headers: { "content-type": "application/json" },
        signal: client.signal,
      });
      const reader = response.body?.getReader();
      if (!reader) throw new Error("no body");
      await readEventsUntil(reader, "content");
      client.abort();

      const upstream = await upstreamClosed();
      expect(upstream?.closedEarly).toBe(true);
    } finally {
      const closed = new Promise((resolve) => server.close(resolve));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
    }
  });
});
