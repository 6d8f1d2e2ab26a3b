import { collectDefaultMetrics, Registry } from "prom-client";
import { CounterMetric, GaugeMetric, HistogramMetric } from "./instruments.js";
import type { MeasurementSink } from "./sink.js";

export type MetricsMode = "prometheus" | "emf" | "off";

const fast = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const request = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const answer = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
const handler = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

/**
 * Every metric the service records. Labels are bounded by construction: routes are patterns,
 * sources are configured names, topics are the service's own (prefix stripped); never a user
 * name, a batch id, a raw path or any message text.
 */
function defineMetrics(sinks: { registry: Registry; push: MeasurementSink }) {
  return {
    httpRequests: new CounterMetric(sinks, {
      name: "cwd_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      maxValuesPerLabel: 128,
    }),
    httpRequestSeconds: new HistogramMetric(sinks, {
      name: "cwd_http_request_duration_seconds",
      help: "Time to a response's headers (a stream's first byte), by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      maxValuesPerLabel: 128,
      buckets: request,
    }),
    chatTimeToSources: new HistogramMetric(sinks, {
      name: "cwd_chat_time_to_sources_seconds",
      help: "Chat: from the question to its sources (retrieval, history, prompt), by provider",
      labelNames: ["provider"],
      buckets: answer,
    }),
    chatTimeToFirstToken: new HistogramMetric(sinks, {
      name: "cwd_chat_time_to_first_token_seconds",
      help: "Streamed chat: from the question to the answer's first text, by provider",
      labelNames: ["provider"],
      buckets: answer,
    }),
    chatSeconds: new HistogramMetric(sinks, {
      name: "cwd_chat_duration_seconds",
      help: "Chat: from the question to the complete answer, by provider and mode (whole or stream)",
      labelNames: ["provider", "mode"],
      buckets: answer,
    }),
    retrievalSeconds: new HistogramMetric(sinks, {
      name: "cwd_retrieval_duration_seconds",
      help: "Retrieval: embedding the query and the nearest-neighbour query",
      labelNames: [],
      buckets: fast,
    }),
    embedderBatchSeconds: new HistogramMetric(sinks, {
      name: "cwd_embedder_batch_duration_seconds",
      help: "Time the model takes for one batch of texts",
      labelNames: [],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    embedderDocuments: new CounterMetric(sinks, {
      name: "cwd_embedder_documents_total",
      help: "Texts embedded (rate() of it is documents per second)",
      labelNames: [],
    }),
    embedderDocumentsPerSecond: new GaugeMetric(sinks, {
      name: "cwd_embedder_documents_per_second",
      help: "Throughput of the latest embedding batch",
      labelNames: [],
      unit: "Count/Second",
    }),
    vectorStoreSeconds: new HistogramMetric(sinks, {
      name: "cwd_vector_store_duration_seconds",
      help: "Chroma upsert and query latency, by operation",
      labelNames: ["operation"],
      buckets: fast,
    }),
    keywordIndexSeconds: new HistogramMetric(sinks, {
      name: "cwd_keyword_index_duration_seconds",
      help: "Keyword index (PostgreSQL full-text) write and query latency, by operation",
      labelNames: ["operation"],
      buckets: fast,
    }),
    ingestDocuments: new CounterMetric(sinks, {
      name: "cwd_ingest_documents_total",
      help: "Documents (chunks, one vector each) stored or failed, by source, mode (sync or async) and outcome",
      labelNames: ["source", "mode", "outcome"],
    }),
    ingestBatches: new CounterMetric(sinks, {
      name: "cwd_ingest_batches_total",
      help: "Async batches by source and stage: queued, read (all documents sent to embedding), failed",
      labelNames: ["source", "stage"],
    }),
    ingestDocumentsExpected: new CounterMetric(sinks, {
      name: "cwd_ingest_documents_expected_total",
      help: "Documents async batches announced once their source was read, by source (progress = processed / expected)",
      labelNames: ["source"],
    }),
    kafkaProduced: new CounterMetric(sinks, {
      name: "cwd_kafka_messages_produced_total",
      help: "Kafka messages sent (or that failed to send), by topic and outcome",
      labelNames: ["topic", "outcome"],
    }),
    kafkaConsumed: new CounterMetric(sinks, {
      name: "cwd_kafka_messages_consumed_total",
      help: "Kafka records handled, by topic and outcome (ok or dead_lettered)",
      labelNames: ["topic", "outcome"],
    }),
    kafkaHandlerSeconds: new HistogramMetric(sinks, {
      name: "cwd_kafka_handler_duration_seconds",
      help: "Time to handle one Kafka record, retries included, by topic",
      labelNames: ["topic"],
      buckets: handler,
    }),
    kafkaDeadLetters: new CounterMetric(sinks, {
      name: "cwd_kafka_dead_letters_total",
      help: "Records sent to a dead-letter topic, by the topic they came from",
      labelNames: ["topic"],
    }),
    kafkaConsumerLag: new GaugeMetric(sinks, {
      name: "cwd_kafka_consumer_lag",
      help: "Records not yet committed by a consumer group, per topic-partition, read from Kafka at scrape time",
      labelNames: ["consumer", "topic", "partition"],
      push: false,
    }),
    kafkaConsumerLagUp: new GaugeMetric(sinks, {
      name: "cwd_kafka_consumer_lag_up",
      help: "1 when the latest scrape read consumer lag from Kafka, 0 when it could not (or Kafka is not configured)",
      labelNames: [],
      push: false,
    }),
    componentErrors: new CounterMetric(sinks, {
      name: "cwd_component_errors_total",
      help: "Errors talking to a component (redis, chroma, kafka), by component and kind",
      labelNames: ["component", "kind"],
    }),
  };
}

export type Metrics = ReturnType<typeof defineMetrics>;

interface MetricsState {
  registry: Registry;
  /** Installed by an adapter that pushes measurements (setMeasurementSink); none by default. */
  sink: MeasurementSink | undefined;
  metrics: Metrics;
  mode: MetricsMode;
}

// On globalThis, not only in this module: a process that loads the module twice (two bundles,
// a test runner's module graph) must still register each metric once and serve one registry.
const stateKey = Symbol.for("chat-with-your-data.metrics");

function metricsState(): MetricsState {
  const holder = globalThis as unknown as Record<symbol, MetricsState | undefined>;
  let state = holder[stateKey];
  if (!state) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: "cwd_" });
    // Without a sink, the default Prometheus mode pays one check per measurement.
    const push: MeasurementSink = {
      record: (...measurement) => created.sink?.record(...measurement),
    };
    const created: MetricsState = {
      registry,
      sink: undefined,
      metrics: defineMetrics({ registry, push }),
      mode: "prometheus",
    };
    state = created;
    holder[stateKey] = state;
  }
  return state;
}

/** The process's metrics: record with small calls, e.g. `metrics.vectorStoreSeconds.observe({ operation: "query" }, 0.012)`. */
export const metrics: Metrics = metricsState().metrics;

/** The process's mode (a setting, so the same for every context a process builds); the adapters act on it. */
export function setMetricsMode(mode: MetricsMode): void {
  metricsState().mode = mode;
}

/** Where measurements are pushed besides the registry (the serverless adapter's EMF writer). */
export function setMeasurementSink(sink: MeasurementSink | undefined): void {
  metricsState().sink = sink;
}

export function metricsMode(): MetricsMode {
  return metricsState().mode;
}

/** The Prometheus text exposition of every metric, and its content type. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  const { registry } = metricsState();
  return { contentType: registry.contentType, body: await registry.metrics() };
}
