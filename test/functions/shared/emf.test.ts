import { afterEach, describe, expect, it } from "vitest";
import { metrics } from "../../../core/metrics/index.js";
import { EmfBuffer, flushMetrics, setMetricsMode } from "../../../functions/shared/emf.js";

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
