import type { Settings } from "../../../core/config/index.js";
import { topics } from "../../../core/messaging/index.js";
import type { ConsumerTopic, LagOptions } from "../../../core/metrics/index.js";

/**
 * The topic each consumer function's group reads, for measuring its lag. Deployed functions
 * cannot import the local runner's table (functions/local/workers.ts), so this mirrors it; a
 * test keeps the two equal.
 */
export const consumerTopics: readonly ConsumerTopic[] = [
  { consumer: "ingestion-worker", topic: topics.dataIngestion },
  { consumer: "embedding-worker", topic: topics.embeddingRequests },
  { consumer: "status-consumer", topic: topics.batchStatus },
  { consumer: "sync-worker", topic: topics.syncRequests },
  { consumer: "cdc-consumer", topic: topics.cdcEvents },
];

/** Where the lag of this deployment's groups is read: its topic and group prefixes. */
export function lagOptions(settings: Pick<Settings, "KAFKA_TOPIC_PREFIX" | "KAFKA_GROUP_PREFIX">): LagOptions {
  return {
    topicPrefix: settings.KAFKA_TOPIC_PREFIX,
    groupPrefix: settings.KAFKA_GROUP_PREFIX,
    consumers: consumerTopics,
  };
}
