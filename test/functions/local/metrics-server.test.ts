import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { consumerTopics } from "../../../functions/events/shared/consumer-topics.js";
import { type MetricsServer, serveMetrics } from "../../../functions/local/metrics-server.js";
import { consumerFunctions } from "../../../functions/local/workers.js";
import { createTestContext } from "../../support/app-context.js";

describe("npm run workers' own /metrics port", () => {
  let context: AppContext;
  let server: MetricsServer | undefined;

  beforeAll(() => {
    // No broker: this is about the port, not the lag (the HTTP function's tests read that).
    context = createTestContext({ KAFKA_BROKERS: "" });
  });
  afterAll(async () => {
    await server?.close();
    await context?.close();
  });

  it("measures lag on the topic each consumer function's group reads", () => {
    expect(consumerTopics.map(({ consumer, topic }) => [consumer, topic])).toEqual(
      Object.entries(consumerFunctions).map(([name, definition]) => [name, definition.topic]),
    );
  });

  it("serves the Prometheus text on the port, and refuses a port already taken", async () => {
    server = await serveMetrics(context, { host: "127.0.0.1", port: 0 });
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toContain("# TYPE cwd_kafka_messages_consumed_total counter");
    expect(text).toContain("cwd_process_cpu_seconds_total");
    // Without Kafka there is no lag to report, rather than a lag of zero.
    expect(text).toMatch(/^cwd_kafka_consumer_lag_up 0$/m);
    expect(text).not.toMatch(/^cwd_kafka_consumer_lag\{/m);

    const port = Number(new URL(server.url).port);
    await expect(serveMetrics(context, { host: "127.0.0.1", port })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
