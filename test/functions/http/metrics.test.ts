import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { topics } from "../../../core/messaging/index.js";
import { createRedis } from "../../../core/redis/index.js";
import { createChromaClient, VectorStore, VectorStoreUnavailableError } from "../../../core/vectors/index.js";
import { createLocalApp } from "../../../functions/local/server.js";
import { consumerFunctions, startWorkers } from "../../../functions/local/workers.js";
import { setDefaultContext } from "../../../functions/shared/default-context.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { waitFor } from "../../support/processes.js";
import { parseScrape, type Sample, total } from "../../support/prometheus.js";
import { testServices, uniqueName } from "../../support/services.js";
import { readSseEvents } from "../../support/sse.js";
import { releaseRun } from "../../support/test-run.js";

const rows = 12;
const dashboardFile = new URL("../../../deploy/grafana/dashboards/chat-with-your-data.json", import.meta.url);

describe("GET /metrics after real traffic on the real services", { timeout: 90_000 }, () => {
  const run = uniqueName("metrics").replace(/-/g, "_");
  const source = `pg_${run}`;
  const topicPrefix = `${run}.`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let workers: { stop(): Promise<void> } | undefined;
  let scraped: { text: string; samples: Sample[] };

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE notes (id int PRIMARY KEY, title text, body text);
       INSERT INTO notes SELECT n, 'Note ' || n, 'The greenhouse vent ' || n || ' opens when it is warmer than 24 degrees.'
         FROM generate_series(1, ${rows}) AS n;`,
    );
    context = createTestContext({
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_PREFIX: run,
      REDIS_KEY_PREFIX: `${run}:`,
      LLM_PROVIDER: "extractive",
      EMBEDDING_GROUP_SIZE: "5",
      RATE_LIMIT_PER_MINUTE: "0",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    // The local server's functions all use the process's default context, as under `npm start`.
    setDefaultContext(context);
    workers = await startWorkers(context);
  });

  afterAll(async () => {
    await workers?.stop();
    await releaseRun(context, { sources: [source], topicPrefix, redisPrefix: `${run}:` });
    await fixture?.drop();
  });

  const app = createLocalApp();
  const call = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
  const scrape = async () => {
    const response = await call("GET", "/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    return { text, samples: parseScrape(text) };
  };

  it("counts a sync ingestion, a search, a chat, a streamed chat and an async batch", async () => {
    const ingested = await call("POST", "/ingest-data", {
      source,
      table_or_collection: "notes",
      text_fields: ["title", "body"],
    });
    expect(ingested.status).toBe(200);
    expect(await readJson(ingested)).toMatchObject({ documents: rows, chunks: rows });

    const search = await call("POST", "/search", { query: "greenhouse vent", max_results: 3, filters: { source } });
    expect(search.status).toBe(200);
    const chat = { user_name: "ada", message: "When does the greenhouse vent open?", filters: { source } };
    expect((await call("POST", "/chat", chat)).status).toBe(200);
    const stream = await call("POST", "/chat/stream", chat);
    expect((await readSseEvents(stream)).map((event) => event.event)).toContain("done");
    expect((await call("GET", "/chat/history/ada")).status).toBe(200);

    const queued = await call("POST", "/ingest-data-async", {
      source,
      table_or_collection: "notes",
      text_fields: ["title", "body"],
    });
    expect(queued.status).toBe(202);
    const { batch_id: batchId } = await readJson(queued);
    await waitFor(
      async () => (await readJson(await call("GET", `/ingest-status/${batchId}`))).status === "completed",
      60_000,
      "async batch completed",
    );
    // A poison record for the embedding worker: it must be dead-lettered and counted.
    await context.publisher?.publishRaw(context.publisher.topic(topics.embeddingRequests), null, "{not json");
    await waitFor(
      async () =>
        total((await scrape()).samples, "cwd_kafka_dead_letters_total", { topic: topics.embeddingRequests }) >= 1,
      30_000,
      "dead letter counted",
    );

    // Components that are down: a Redis and a Chroma nobody listens for.
    const redis = createRedis("redis://127.0.0.1:1");
    await redis.connect().catch(() => undefined);
    redis.disconnect();
    const offline = new VectorStore(createChromaClient({ url: "http://127.0.0.1:1", tenant: "t", database: "d" }), {
      model: context.embedder.model,
      dimension: context.embedder.dimension,
    });
    await expect(offline.query([1, 0], { k: 1 })).rejects.toBeInstanceOf(VectorStoreUnavailableError);

    scraped = await scrape();
    const { samples, text } = scraped;
    const requests = (route: string, status: string) => total(samples, "cwd_http_requests_total", { route, status });
    expect(requests("/ingest-data", "200")).toBe(1);
    expect(requests("/search", "200")).toBe(1);
    expect(requests("/chat", "200")).toBe(1);
    expect(requests("/chat/stream", "200")).toBe(1);
    expect(requests("/chat/history/:user_name", "200")).toBe(1);
    expect(requests("/ingest-data-async", "202")).toBe(1);
    expect(requests("/ingest-status/:batch_id", "200")).toBeGreaterThanOrEqual(1);
    expect(
      total(samples, "cwd_http_request_duration_seconds_count", { method: "POST", route: "/chat", status: "200" }),
    ).toBe(1);
    expect(text).not.toContain("/chat/history/ada");

    expect(total(samples, "cwd_chat_time_to_sources_seconds_count", { provider: "extractive" })).toBe(2);
    expect(total(samples, "cwd_chat_time_to_first_token_seconds_count", { provider: "extractive" })).toBe(1);
    expect(total(samples, "cwd_chat_duration_seconds_count", { mode: "whole" })).toBe(1);
    expect(total(samples, "cwd_chat_duration_seconds_count", { mode: "stream" })).toBe(1);
    expect(total(samples, "cwd_retrieval_duration_seconds_count")).toBe(3);
    expect(total(samples, "cwd_retrieval_duration_seconds_sum")).toBeGreaterThan(0);

    // Sync and async each embedded every row; queries and the extractive answers embedded more.
    expect(total(samples, "cwd_embedder_documents_total")).toBeGreaterThanOrEqual(2 * rows + 3);
    expect(total(samples, "cwd_embedder_batch_duration_seconds_count")).toBeGreaterThanOrEqual(3);
    expect(total(samples, "cwd_embedder_documents_per_second")).toBeGreaterThan(0);
    // Sync writes in one batch; async in one upsert per group of five.
    expect(total(samples, "cwd_vector_store_duration_seconds_count", { operation: "upsert" })).toBe(1 + 3);
    expect(total(samples, "cwd_vector_store_duration_seconds_count", { operation: "query" })).toBe(3);

    const documents = (mode: string, outcome: string) =>
      total(samples, "cwd_ingest_documents_total", { source, mode, outcome });
    expect(documents("sync", "processed")).toBe(rows);
    expect(documents("async", "processed")).toBe(rows);
    expect(documents("sync", "failed") + documents("async", "failed")).toBe(0);
    expect(total(samples, "cwd_ingest_documents_expected_total", { source })).toBe(rows);
    expect(total(samples, "cwd_ingest_batches_total", { source, stage: "queued" })).toBe(1);
    expect(total(samples, "cwd_ingest_batches_total", { source, stage: "read" })).toBe(1);

    const produced = (topic: string) => total(samples, "cwd_kafka_messages_produced_total", { topic, outcome: "ok" });
    expect(produced(topics.dataIngestion)).toBe(1);
    expect(produced(topics.embeddingRequests)).toBe(3 + 1);
    expect(produced(topics.vectorUpdates)).toBe(3);
    // started, total, and one "processed" per group.
    expect(produced(topics.batchStatus)).toBe(2 + 3);
    expect(produced(`${topics.embeddingRequests}.dlq`)).toBe(1);
    const consumed = (topic: string, outcome: string) =>
      total(samples, "cwd_kafka_messages_consumed_total", { topic, outcome });
    expect(consumed(topics.dataIngestion, "ok")).toBeGreaterThanOrEqual(1);
    expect(consumed(topics.embeddingRequests, "ok")).toBeGreaterThanOrEqual(3);
    expect(consumed(topics.embeddingRequests, "dead_lettered")).toBe(1);
    expect(consumed(topics.batchStatus, "ok")).toBeGreaterThanOrEqual(5);
    expect(total(samples, "cwd_kafka_handler_duration_seconds_count", { topic: topics.embeddingRequests })).toBe(
      consumed(topics.embeddingRequests, "ok") + consumed(topics.embeddingRequests, "dead_lettered"),
    );

    // Lag: one series per consumer and partition of its topic, read from Kafka.
    expect(total(samples, "cwd_kafka_consumer_lag_up")).toBe(1);
    const lagSeries = samples.filter((sample) => sample.name === "cwd_kafka_consumer_lag");
    expect(new Set(lagSeries.map((sample) => sample.labels.consumer))).toEqual(new Set(Object.keys(consumerFunctions)));
    expect(lagSeries.filter((sample) => sample.labels.consumer === "embedding-worker")).toHaveLength(
      context.settings.KAFKA_TOPIC_PARTITIONS,
    );
    for (const sample of lagSeries) expect(sample.value).toBeGreaterThanOrEqual(0);

    expect(total(samples, "cwd_component_errors_total", { component: "redis", kind: "connection" })).toBeGreaterThan(0);
    expect(total(samples, "cwd_component_errors_total", { component: "chroma", kind: "unavailable" })).toBeGreaterThan(
      0,
    );
    // The process's own: CPU, memory, event loop.
    expect(total(samples, "cwd_process_resident_memory_bytes")).toBeGreaterThan(0);
    // Neither the question, the answer nor the batch id is ever a label.
    expect(text).not.toContain("greenhouse");
    expect(text).not.toContain(batchId);
  });

  it("has every metric the Grafana dashboard queries in that scrape", () => {
    expect(scraped, "the traffic test ran first").toBeDefined();
    const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8"));
    const expressions: string[] = dashboard.panels.flatMap((panel: { targets?: { expr: string }[] }) =>
      (panel.targets ?? []).map((target) => target.expr),
    );
    expect(expressions.length).toBeGreaterThan(10);
    const queried = new Set(expressions.flatMap((expression) => expression.match(/\bcwd_[a-z0-9_]+/g) ?? []));
    const present = new Set(scraped.samples.map((sample) => sample.name));
    expect([...queried].filter((name) => !present.has(name))).toEqual([]);
    const panelTitles = dashboard.panels.map((panel: { title: string }) => panel.title.toLowerCase()).join(" | ");
    for (const topic of ["ingestion throughput", "batch progress", "consumer lag", "chat latency", "error rates"]) {
      expect(panelTitles).toContain(topic);
    }
  });
});
