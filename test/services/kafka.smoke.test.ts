import type { Consumer, Producer } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../core/logging/index.js";
import { createKafka } from "../../core/messaging/index.js";
import { waitFor } from "../support/processes.js";
import { testServices, uniqueName } from "../support/services.js";

describe("Kafka (real KRaft broker from Apache's jars)", () => {
  const kafka = createKafka(
    { brokers: testServices.kafkaBrokers, clientId: "smoke-test" },
    createLogger({ LOG_LEVEL: "silent", SERVICE_NAME: "test" }),
  );
  const admin = kafka.admin();
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  const topic = uniqueName("smoke");

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it("creates a topic through the admin client", async () => {
    await admin.connect();
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.length).toBe(1);
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(2);
  });

  it("produces and consumes in a consumer group, committing offsets", async () => {
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const values = Array.from({ length: 10 }, (_, index) => `message ${index}`);
    await producer.send({ topic, messages: values.map((value, index) => ({ key: `k${index % 3}`, value })) });

    const groupId = uniqueName("smoke-group");
    consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`received only ${received.length} of 10`)), 30_000);
      void consumer?.run({
        eachMessage: async ({ message }) => {
          received.push(message.value?.toString() ?? "");
          if (received.length === values.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    expect(received.sort()).toEqual([...values].sort());
    // The group coordinator works: offsets get committed for the group (after the last batch, asynchronously).
    const committed = async () => {
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets[0]?.partitions.reduce((sum, partition) => sum + Math.max(0, Number(partition.offset)), 0);
    };
    await waitFor(async () => (await committed()) === 10, 15_000, "committed offsets").catch(() => undefined);
    expect(await committed()).toBe(10);
  });
});
