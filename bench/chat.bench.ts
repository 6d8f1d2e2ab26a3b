import { ensureRedisReady } from "../core/redis/index.js";
import { createChatStreamApp } from "../functions/http/chat-stream.js";
import { createMcpApp } from "../functions/http/mcp.js";
import { createOpenAiApp } from "../functions/http/openai.js";
import { startOpenAiDouble } from "../test/support/llm-doubles/openai-double.js";
import { benchContext } from "./context.js";
import { prepareQueryCollection, querySource, queryVectors } from "./query.bench.js";
import { type BenchResult, expectMeasured, median, percentile } from "./support.js";

const requests = Number(process.env.BENCH_CHAT_REQUESTS ?? 50);

/** Reads a streamed body whole, noting when `marks` first appear in it (ms since `started`). */
async function timeMarks(
  response: Response,
  started: number,
  marks: Record<string, (text: string) => boolean>,
): Promise<{ seen: Record<string, number | undefined>; text: string; status: number }> {
  const seen: Record<string, number | undefined> = {};
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (reader) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    for (const [name, found] of Object.entries(marks)) {
      if (seen[name] === undefined && found(text)) seen[name] = performance.now() - started;
    }
  }
  return { seen, text, status: response.status };
}

const post = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/**
 * The service's own overhead on a chat answer over the query benchmark's vectors, with an LLM
 * double that answers at once: time to sources and to the first content through /chat/stream (the
 * chat-stream function, which owns that route), to the first content chunk through
 * /v1/chat/completions (stream), and to the MCP `ask` tool's result (MCP answers whole: its first
 * token arrives with the last). The three alternate per question. Every answer must succeed and
 * end properly (`[DONE]`, no error event, no tool error), or the figures would time something else.
 */
export async function benchChat(): Promise<BenchResult[]> {
  await prepareQueryCollection();
  const double = await startOpenAiDouble();
  double.script({ text: "An instant answer [1].", chunkDelayMs: 0 });
  const context = benchContext({
    REDIS_KEY_PREFIX: "bench-chat:",
    OPENAI_BASE_URL: double.baseUrl,
    LLM_PROVIDER: "openai",
    // A source of that name, so `data:<source>` is a model; its vectors are the query benchmark's.
    SOURCES: JSON.stringify([{ name: querySource, kind: "csv" }]),
  });
  const chatStream = createChatStreamApp(() => context);
  const openAi = createOpenAiApp(() => context);
  const mcp = createMcpApp(() => context);
  const toSources: number[] = [];
  const toContent: number[] = [];
  const completionsToContent: number[] = [];
  const mcpToAnswer: number[] = [];
  const failures: string[] = [];
  const push = (list: number[], value: number | undefined) => value !== undefined && list.push(value);
  try {
    await context.embedder.warmUp();
    for (let index = 0; index < requests; index++) {
      const message = `a question about record ${index}`;
      const viaChatStream = async () => {
        const started = performance.now();
        const streamed = await timeMarks(
          await chatStream.request(
            "/chat/stream",
            post({ user_name: "bench", message, include_history: false, filters: { source: querySource } }),
          ),
          started,
          { sources: (text) => text.includes("event: sources"), content: (text) => text.includes("event: content") },
        );
        if (streamed.status !== 200) failures.push(`/chat/stream ${streamed.status} ${streamed.text.slice(0, 200)}`);
        else if (streamed.text.includes("event: error")) failures.push(`/chat/stream: ${streamed.text.slice(-200)}`);
        else if (!streamed.text.trimEnd().endsWith("data: [DONE]")) failures.push("/chat/stream: no [DONE]");
        push(toSources, streamed.seen.sources);
        push(toContent, streamed.seen.content);
      };
      const viaCompletions = async () => {
        const started = performance.now();
        const completion = await timeMarks(
          await openAi.request(
            "/v1/chat/completions",
            post({ model: `data:${querySource}`, stream: true, messages: [{ role: "user", content: message }] }),
          ),
          started,
          // The first chunk only names the role (content ""); the first token is the next content.
          { content: (text) => /"delta":\{"content":"[^"]/.test(text) },
        );
        if (completion.status !== 200 || !completion.text.trimEnd().endsWith("data: [DONE]"))
          failures.push(`/v1/chat/completions ${completion.status} ${completion.text.slice(0, 200)}`);
        push(completionsToContent, completion.seen.content);
      };
      const viaMcp = async () => {
        const started = performance.now();
        const answered = await timeMarks(
          await mcp.request(
            "/mcp",
            post({
              jsonrpc: "2.0",
              id: index,
              method: "tools/call",
              params: { name: "ask", arguments: { question: message, filters: { source: querySource } } },
            }),
          ),
          started,
          { answer: (text) => text.includes('"answer":') },
        );
        if (answered.status !== 200 || answered.text.includes('"isError":true'))
          failures.push(`MCP ask ${answered.status} ${answered.text.slice(0, 200)}`);
        push(mcpToAnswer, answered.seen.answer);
      };
      // Each path goes first in turn, so none always meets a cold cache or a warm one.
      const paths = [viaChatStream, viaCompletions, viaMcp];
      for (let turn = 0; turn < paths.length; turn++) await paths[(index + turn) % paths.length]?.();
    }
  } finally {
    // The shared client connects lazily and queues nothing offline: connect before cleaning up.
    const redis = context.redis;
    if (redis) {
      await ensureRedisReady(redis)
        .then(() => redis.del(`${context.settings.REDIS_KEY_PREFIX}history:bench`))
        .catch((error: unknown) => console.error("chat bench: could not remove its history", error));
    }
    await context.close();
    await double.close();
  }
  expectMeasured("chat", {
    [`${requests * 3 - failures.length} of ${requests * 3} answers succeeded (first failure: ${failures[0]})`]:
      failures.length === 0,
    [`${toSources.length} of ${requests} streams had sources`]: toSources.length === requests && requests > 0,
    [`${toContent.length} of ${requests} streams had content`]: toContent.length === requests,
    [`${completionsToContent.length} of ${requests} completions had content`]: completionsToContent.length === requests,
    [`${mcpToAnswer.length} of ${requests} MCP asks answered`]: mcpToAnswer.length === requests,
  });
  const round = (value: number) => Math.round(value * 10) / 10;
  const chatP50 = median(toContent);
  return [
    {
      name: "chat",
      conditions: {
        vectors: queryVectors,
        requests,
        completed: Math.min(toContent.length, completionsToContent.length, mcpToAnswer.length),
        llm: "OpenAI-compatible double, instant",
      },
      metrics: {
        to_sources_p50_ms: round(median(toSources)),
        to_sources_p95_ms: round(percentile(toSources, 0.95)),
        to_first_content_p50_ms: round(chatP50),
        to_first_content_p95_ms: round(percentile(toContent, 0.95)),
        completions_to_first_content_p50_ms: round(median(completionsToContent)),
        completions_to_first_content_p95_ms: round(percentile(completionsToContent, 0.95)),
        completions_vs_chat_stream_p50: round(median(completionsToContent) / chatP50),
        mcp_ask_to_answer_p50_ms: round(median(mcpToAnswer)),
        mcp_ask_to_answer_p95_ms: round(percentile(mcpToAnswer, 0.95)),
        mcp_ask_vs_chat_stream_p50: round(median(mcpToAnswer) / chatP50),
      },
    },
  ];
}
