import { loadConfig } from "../core/config/index.js";
import { createAppContext } from "../core/context/index.js";
import { createLogger } from "../core/logging/index.js";
import { ensureRedisReady } from "../core/redis/index.js";
import { createChatStreamApp } from "../functions/http/chat-stream.js";
import { startOpenAiDouble } from "../test/support/llm-doubles/openai-double.js";
import { testServices } from "../test/support/services.js";
import { prepareQueryCollection, querySource, queryVectors } from "./query.bench.js";
import { type BenchResult, expectMeasured, median, percentile } from "./support.js";

const requests = Number(process.env.BENCH_CHAT_REQUESTS ?? 50);

/**
 * The service's own overhead on /chat/stream (the chat-stream function, which owns that route):
 * time to the `sources` event and to the first `content` event over the query benchmark's
 * vectors, with an LLM double that answers at once. Every stream must end in `[DONE]` with
 * sources, content and no error event, or the figures would time something else.
 */
export async function benchChat(): Promise<BenchResult[]> {
  await prepareQueryCollection();
  const double = await startOpenAiDouble();
  double.script({ text: "An instant answer [1].", chunkDelayMs: 0 });
  const settings = loadConfig({
    env: {
      LOG_LEVEL: "warn",
      CHROMA_URL: testServices.chromaUrl,
      REDIS_URL: testServices.redisUrl,
      REDIS_KEY_PREFIX: "bench-chat:",
      KAFKA_BROKERS: "",
      OPENAI_BASE_URL: double.baseUrl,
      LLM_PROVIDER: "openai",
    },
  });
  const context = createAppContext(settings, createLogger(settings));
  const app = createChatStreamApp(() => context);
  const toSources: number[] = [];
  const toContent: number[] = [];
  const failures: string[] = [];
  try {
    await context.embedder.warmUp();
    for (let index = 0; index < requests; index++) {
      const started = performance.now();
      const response = await app.request("/chat/stream", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          user_name: "bench",
          message: `a question about record ${index}`,
          include_history: false,
          filters: { source: querySource },
        }),
      });
      const reader = response.body?.getReader();
      const decoder = new TextDecoder();
      let text = "";
      let sourcesAt: number | undefined;
      let contentAt: number | undefined;
      while (reader) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (sourcesAt === undefined && text.includes("event: sources")) sourcesAt = performance.now() - started;
        if (contentAt === undefined && text.includes("event: content")) contentAt = performance.now() - started;
      }
      if (!response.ok) failures.push(`${response.status} ${text.slice(0, 200)}`);
      else if (text.includes("event: error")) failures.push(text.slice(text.indexOf("event: error"), 300));
      else if (!text.trimEnd().endsWith("data: [DONE]")) failures.push(`no [DONE]: …${text.slice(-120)}`);
      if (sourcesAt !== undefined) toSources.push(sourcesAt);
      if (contentAt !== undefined) toContent.push(contentAt);
    }
  } finally {
    // The shared client connects lazily and queues nothing offline: connect before cleaning up.
    const redis = context.redis;
    if (redis) {
      await ensureRedisReady(redis)
        .then(() => redis.del(`${settings.REDIS_KEY_PREFIX}history:bench`))
        .catch((error: unknown) => console.error("chat bench: could not remove its history", error));
    }
    await context.close();
    await double.close();
  }
  expectMeasured("chat", {
    [`${requests - failures.length} of ${requests} streams succeeded (first: ${failures[0]})`]: failures.length === 0,
    [`${toSources.length} of ${requests} streams had sources`]: toSources.length === requests && requests > 0,
    [`${toContent.length} of ${requests} streams had content`]: toContent.length === requests,
  });
  const round = (value: number) => Math.round(value * 10) / 10;
  return [
    {
      name: "chat",
      conditions: {
        vectors: queryVectors,
        requests,
        completed: toContent.length,
        llm: "OpenAI-compatible double, instant",
      },
      metrics: {
        to_sources_p50_ms: round(median(toSources)),
        to_sources_p95_ms: round(percentile(toSources, 0.95)),
        to_first_content_p50_ms: round(median(toContent)),
        to_first_content_p95_ms: round(percentile(toContent, 0.95)),
      },
    },
  ];
}
