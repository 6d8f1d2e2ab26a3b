/** Topic names (shared/docs/architecture.md); each consumer's dead letters go to `<topic>.dlq`. */
export const topics = {
  dataIngestion: "data-ingestion",
  embeddingRequests: "embedding-requests",
  vectorUpdates: "vector-updates",
  batchStatus: "batch-status",
  syncRequests: "sync-requests",
  /** Debezium change events of every CDC table, routed here by the connector (core/cdc). */
  cdcEvents: "cdc-events",
} as const;

export type TopicName = (typeof topics)[keyof typeof topics];

export const deadLetterTopic = (topic: string) => `${topic}.dlq`;

export const allTopics: string[] = [
  ...Object.values(topics),
  deadLetterTopic(topics.dataIngestion),
  deadLetterTopic(topics.embeddingRequests),
  deadLetterTopic(topics.batchStatus),
  deadLetterTopic(topics.syncRequests),
  deadLetterTopic(topics.cdcEvents),
];
