export type { DecodedRecord } from "./consumed-record.js";
export { createKafka, type KafkaSettings } from "./kafka-client.js";
export type { MessagePublisher } from "./message-publisher.js";
export { processRecords, type RecordOutcome } from "./process-records.js";
export { ensureTopics, Publisher } from "./publisher.js";
export {
  type BatchStatusEvent,
  batchStatusEventSchema,
  type DeadLetter,
  type EmbeddingRequestMessage,
  embeddingRequestSchema,
  type IngestionRequestMessage,
  ingestionRequestSchema,
  type SyncRequestMessage,
  schemaVersion,
  syncRequestSchema,
  type VectorUpdateMessage,
  vectorUpdateSchema,
} from "./schemas.js";
export { allTopics, deadLetterTopic, type TopicName, topics } from "./topics.js";
