import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { allTopics, batchStatusEventSchema, schemaVersion, topics } from "../../../core/messaging/index.js";
import { createMetricsApp } from "../../../functions/http/metrics.js";
import { startWorkers } from "../../../functions/local/workers.js";
import { dropRedisPrefix } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { waitFor } from "../../support/processes.js";
import { parseScrape, total } from "../../support/prometheus.js";
import { uniqueName } from "../../support/services.js";

const waiting = 7;

describe("consumer lag in /metrics, read from Kafka at scrape time", { timeout: 90_000 }, () => {
  const run = uniqueName("lag").replace(/-/g, "_");
  const topicPrefix = `${run}.`;
  let context: AppContext;
  let workers: { stop(): Promise<void> } | undefined;

  beforeAll(() => {
    context = createTestContext({
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_PREFIX: run,
      REDIS_KEY_PREFIX: `${run}:`,
    });
  });
  afterAll(async () => {
    await workers?.stop();
    const admin = context?.kafka?.admin();
    if (admin) {
      await admin.connect();
      await admin.deleteTopics({ topics: allTopics.map((topic) => `${topicPrefix}${topic}`) }).catch(() => undefined);
      await admin.deleteGroups([`${run}-status-consumer`]).catch(() => undefined);
      await admin.disconnect();
    }
    await dropRedisPrefix(context, `${run}:`);
    await context?.close();
  });

  const statusLag = async () => {
    const response = await createMetricsApp(() => context).request("/metrics");
    expect(response.status).toBe(200);
    const samples = parseScrape(await response.text());
    expect(total(samples, "cwd_kafka_consumer_lag_up")).toBe(1);
    const series = samples.filter(
      (sample) => sample.name === "cwd_kafka_consumer_lag" && sample.labels.consumer === "status-consumer",
    );
    return { series, lag: total(samples, "cwd_kafka_consumer_lag", { consumer: "status-consumer" }) };
  };
  /** Status events for batches of their own, spread over the partitions by key. */
  const publishStatusEvents = async (count: number) => {
    for (let index = 0; index < count; index++) {
      const batchId = randomUUID();
      await context.publisher?.publish(topics.batchStatus, batchId, batchStatusEventSchema, [
        { schema_version: schemaVersion, batch_id: batchId, type: "started", at: new Date().toISOString() },
      ]);
    }
  };

  it("rises while the consumer is stopped and falls back to zero after it restarts", async () => {
    workers = await startWorkers(context, ["status-consumer"]);
    await publishStatusEvents(2);
    await waitFor(
      async () => (await statusLag()).lag === 0 && (await statusLag()).series.length > 0,
      30_000,
      "caught up",
    );
    const { series } = await statusLag();
    expect(series.map((sample) => sample.labels.topic)).toEqual(
      Array(context.settings.KAFKA_TOPIC_PARTITIONS).fill(topics.batchStatus),
    );

    await workers.stop();
    workers = undefined;
    await publishStatusEvents(waiting);
    expect((await statusLag()).lag).toBe(waiting);

    workers = await startWorkers(context, ["status-consumer"]);
    await waitFor(async () => (await statusLag()).lag === 0, 45_000, "lag back to zero");
  });
});
