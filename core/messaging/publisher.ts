import type { Admin, Kafka, Producer } from "kafkajs";
import type { z } from "zod";
import { metrics } from "../metrics/index.js";
import type { MessagePublisher } from "./message-publisher.js";
import { topicLabel } from "./topic-label.js";
import { allTopics } from "./topics.js";

/** Sends validated messages; one idempotent producer per process. */
export class Publisher implements MessagePublisher {
  private readonly kafka: Kafka;
  private readonly topicPrefix: string;
  private producer: Promise<Producer> | undefined;

  constructor(kafka: Kafka, topicPrefix = "") {
    this.kafka = kafka;
    this.topicPrefix = topicPrefix;
  }

  /** The full name of one of the service's topics (`topics.*`), with this deployment's prefix. */
  topic(name: string): string {
    return `${this.topicPrefix}${name}`;
  }

  /** Validates against the schema before sending, so no malformed message ever leaves. */
  async publish<T>(topic: string, key: string, schema: z.ZodType<T>, messages: readonly T[]): Promise<void> {
    if (messages.length === 0) return;
    const checked = messages.map((message) => schema.parse(message));
    await this.counted(this.topic(topic), checked.length, async () => {
      await (await this.connected()).send({
        topic: this.topic(topic),
        messages: checked.map((message) => ({ key, value: JSON.stringify(message) })),
      });
    });
  }

  /** Raw text to a full topic name, for dead letters (the original value is kept as it was). */
  async publishRaw(topic: string, key: string | null, value: string): Promise<void> {
    await this.counted(topic, 1, async () => {
      await (await this.connected()).send({ topic, messages: [{ key, value }] });
    });
  }

  private async counted(topic: string, messages: number, send: () => Promise<void>): Promise<void> {
    const label = topicLabel(topic, this);
    try {
      await send();
    } catch (error) {
      metrics.kafkaProduced.inc({ topic: label, outcome: "error" }, messages);
      metrics.componentErrors.inc({ component: "kafka", kind: "produce" });
      throw error;
    }
    metrics.kafkaProduced.inc({ topic: label, outcome: "ok" }, messages);
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await (await producer.catch(() => undefined))?.disconnect();
  }

  private connected(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      this.producer = producer.connect().then(
        () => producer,
        (error: unknown) => {
          this.producer = undefined;
          throw error;
        },
      );
    }
    return this.producer;
  }
}

/**
 * Creates every topic the service uses, idempotently, and waits for leaders: freshly
 * auto-created topics on KRaft briefly refuse writes ("does not host this topic-partition").
 */
export async function ensureTopics(kafka: Kafka, partitions: number, prefix = ""): Promise<void> {
  // Waiting for leaders can itself fail with a retriable "does not host this topic-partition" while a
  // new topic settles; the topics then exist, and another round finds nothing missing.
  for (let attempt = 1; ; attempt++) {
    try {
      return await createMissingTopics(kafka, partitions, prefix);
    } catch (error) {
      if (attempt >= 5 || !(error as { retriable?: boolean }).retriable) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

async function createMissingTopics(kafka: Kafka, partitions: number, prefix: string): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = allTopics.map((topic) => `${prefix}${topic}`).filter((topic) => !existing.has(topic));
    if (missing.length) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
