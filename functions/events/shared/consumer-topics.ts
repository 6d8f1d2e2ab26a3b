import type { Settings } from "../../../core/config/index.js";
import { topics } from "../../../core/messaging/index.js";
import type { ConsumerTopic, LagOptions } from "../../../core/metrics/index.js";

/**
 * Every Kafka consumer function and the topic its event-source mapping reads: the one list the
 * local workers (functions/local/workers.ts, which must give each a handler or not compile), lag
 * metrics and the serverless.yml check are built from. Names and topics only, so a function that
 * measures lag does not bundle every consumer.
 */
export const consumerTopicByName = {
  "ingestion-worker": topics.dataIngestion,
  "embedding-worker": topics.embeddingRequests,
  "status-consumer": topics.batchStatus,
  "sync-worker": topics.syncRequests,
  "cdc-consumer": topics.cdcEvents,
} as const;

export type ConsumerName = keyof typeof consumerTopicByName;

export const consumerTopics: readonly ConsumerTopic[] = Object.entries(consumerTopicByName).map(
  ([consumer, topic]) => ({ consumer, topic }),
);

/** Where the lag of this deployment's groups is read: its topic and group prefixes. */
export function lagOptions(settings: Pick<Settings, "KAFKA_TOPIC_PREFIX" | "KAFKA_GROUP_PREFIX">): LagOptions {
  return {
    topicPrefix: settings.KAFKA_TOPIC_PREFIX,
    groupPrefix: settings.KAFKA_GROUP_PREFIX,
    consumers: consumerTopics,
  };
}
