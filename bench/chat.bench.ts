import { loadConfig } from "../core/config/index.js";
import { createAppContext } from "../core/context/index.js";
import { createLogger } from "../core/logging/index.js";
import { createChatApp } from "../functions/http/chat.js";
import { startOpenAiDouble } from "../test/support/llm-doubles/openai-double.js";
import { testServices } from "../test/support/services.js";
import { benchQuery } from "./query.bench.js";
import { type BenchResult, median, percentile } from "./support.js";

const requests = Number(process.env.BENCH_CHAT_REQUESTS ?? 50);

/**
 * The service's own overhead on /chat/stream: time to the `sources` event and to the first
 * `content` event over the query benchmark's 100,000 vectors, with an LLM double that answers at once.
 */
export async function benchChat(): Promise<BenchResult[]> {
  await benchQuery(); // makes sure the 100,000-vector collection is loaded
  const double = await startOpenAiDouble();
  double.script({ text: "An instant answer [1].", chunkDelayMs: 0 });
  const settings = loadConfig({
    env: {
      LOG_LEVEL: "warn",
      CHROMA_URL: testServices.chromaUrl,
      REDIS_URL: testServices.redisUrl,
      KAFKA_BROKERS: "",
      OPENAI_BASE_URL: double.baseUrl,
      LLM_PROVIDER: "openai",
    },
  });
  const context = createAppContext(settings, createLogger(settings));
  const app = createChatApp(() => context);
  await context.embedder.warmUp();
  const toSources: number[] = [];
  const toContent: number[] = [];
  for (let index = 0; index < requests; index++) {
    const started = performance.now();
    const response = await app.request("/chat/stream", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        user_name: "bench",
        message: `a question about record ${index}`,
        include_history: false,
        filters: { source: "benchquery" },
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
    if (sourcesAt !== undefined) toSources.push(sourcesAt);
    if (contentAt !== undefined) toContent.push(contentAt);
  }
  await context.redis?.del(`${settings.REDIS_KEY_PREFIX}history:bench`);
  await context.close();
  await double.close();
  const round = (value: number) => Math.round(value * 10) / 10;
  return [
    {
      name: "chat",
      conditions: { vectors: 100_000, requests, completed: toContent.length, llm: "OpenAI-compatible double, instant" },
      metrics: {
        to_sources_p50_ms: round(median(toSources)),
        to_sources_p95_ms: round(percentile(toSources, 0.95)),
        to_first_content_p50_ms: round(median(toContent)),
        to_first_content_p95_ms: round(percentile(toContent, 0.95)),
      },
    },
  ];
}
