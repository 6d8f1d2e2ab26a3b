import { Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CounterMetric,
  EmfBuffer,
  flushMetrics,
  metrics,
  overflowLabel,
  renderMetrics,
  setMetricsMode,
} from "../../../core/metrics/index.js";

interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

const flushed = (buffer: EmfBuffer, namespace = "svc") => {
  const lines: EmfLine[] = [];
  buffer.flush(namespace, (line) => lines.push(JSON.parse(line)), 1_700_000_000_000);
  return lines;
};

describe("CloudWatch Embedded Metric Format", () => {
  afterEach(() => setMetricsMode("prometheus"));

  it("records nothing until enabled", () => {
    const buffer = new EmfBuffer();
    buffer.record("requests", "Count", { route: "/chat" }, 1, "sum");
    expect(flushed(buffer)).toEqual([]);
  });

  it("writes one object per metric and label set: labels as dimensions, counters summed, timings listed", () => {
    const buffer = new EmfBuffer();
    buffer.enable(true);
    buffer.record("requests", "Count", { route: "/chat", status: "200" }, 1, "sum");
    buffer.record("requests", "Count", { route: "/chat", status: "200" }, 2, "sum");
    buffer.record("requests", "Count", { route: "/search", status: "200" }, 1, "sum");
    buffer.record("latency", "Seconds", { route: "/chat" }, 0.25, "values");
    buffer.record("latency", "Seconds", { route: "/chat" }, 0.5, "values");
    const lines = flushed(buffer, "chat-with-your-data");
    expect(lines).toHaveLength(3);
    const chat = lines.find((line) => line.route === "/chat" && "requests" in line);
    expect(chat).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: "chat-with-your-data",
            Dimensions: [["route", "status"]],
            Metrics: [{ Name: "requests", Unit: "Count" }],
          },
        ],
      },
      route: "/chat",
      status: "200",
      requests: 3,
    });
    expect(lines.find((line) => "latency" in line)?.latency).toEqual([0.25, 0.5]);
    // Flushing empties the buffer: the next invocation reports only its own measurements.
    expect(flushed(buffer)).toEqual([]);
  });

  it("splits more than 100 values of one metric over several lines, as CloudWatch requires", () => {
    const buffer = new EmfBuffer();
    buffer.enable(true);
    for (let index = 0; index < 250; index++) buffer.record("latency", "Seconds", {}, index / 1000, "values");
    const lines = flushed(buffer);
    expect(lines.map((line) => (line.latency as number[]).length)).toEqual([100, 100, 50]);
    expect(lines[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([[]]);
  });

  it("flushes the process's metrics only in emf mode", () => {
    const lines: string[] = [];
    const write = (line: string) => lines.push(line);
    metrics.vectorStoreSeconds.observe({ operation: "query" }, 0.01);
    expect(flushMetrics({ namespace: "svc", write })).toBe(0);

    setMetricsMode("emf");
    metrics.vectorStoreSeconds.observe({ operation: "query" }, 0.02);
    metrics.kafkaConsumerLag.set({ consumer: "c", topic: "t", partition: 0 }, 5);
    expect(flushMetrics({ namespace: "svc", write })).toBe(1);
    const line: EmfLine = JSON.parse(lines[0] ?? "{}");
    expect(line).toMatchObject({ operation: "query", cwd_vector_store_duration_seconds: 0.02 });
    expect(line._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: "cwd_vector_store_duration_seconds", Unit: "Seconds" },
    ]);
  });
});

describe("label bounds", () => {
  it("collapses a label's values past its bound into one 'other' series", async () => {
    const registry = new Registry();
    const buffer = new EmfBuffer();
    const counter = new CounterMetric(
      { registry, emf: buffer },
      { name: "test_requests_total", help: "test", labelNames: ["user"], maxValuesPerLabel: 3 },
    );
    for (let index = 0; index < 50; index++) counter.inc({ user: `user-${index}` });
    counter.inc({ user: "user-1" });
    const text = await registry.metrics();
    const series = text.split("\n").filter((line) => line.startsWith("test_requests_total{"));
    expect(series).toEqual([
      'test_requests_total{user="user-0"} 1',
      'test_requests_total{user="user-1"} 2',
      'test_requests_total{user="user-2"} 1',
      `test_requests_total{user="${overflowLabel}"} 47`,
    ]);
  });

  it("registers each metric once per process, however often the module is evaluated", async () => {
    vi.resetModules();
    const again = await import("../../../core/metrics/index.js");
    expect(again.metrics).toBe(metrics);
    const { body } = await renderMetrics();
    expect(body.match(/^# TYPE cwd_http_requests_total /gm)).toHaveLength(1);
  });
});
