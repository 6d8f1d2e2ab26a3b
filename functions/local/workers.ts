import type { Consumer, IHeaders } from "kafkajs";
import type { AppContext } from "../../core/context/index.js";
import { ensureTopics } from "../../core/messaging/index.js";
import { createCdcConsumer } from "../events/cdc-consumer.js";
import { createEmbeddingWorker } from "../events/embedding-worker.js";
import { createIngestionWorker } from "../events/ingestion-worker.js";
import { type ConsumerName, consumerTopicByName } from "../events/shared/consumer-topics.js";
import { encodeKafkaEvent } from "../events/shared/lambda-event.js";
import { createStatusConsumer } from "../events/status-consumer.js";
import { createSyncWorker } from "../events/sync-worker.js";
import type { InProcessBus } from "./in-process-bus.js";

type ConsumerFactory = (getContext: () => AppContext) => (event: unknown) => Promise<unknown>;

/** A handler for every consumer the list names: one missing, or one the list lacks, does not compile. */
const consumerFactories: { [Name in ConsumerName]: ConsumerFactory } = {
  "ingestion-worker": createIngestionWorker,
  "embedding-worker": createEmbeddingWorker,
  "status-consumer": createStatusConsumer,
  "sync-worker": createSyncWorker,
  "cdc-consumer": createCdcConsumer,
};

/** Every Kafka consumer function with the topic its event-source mapping reads. */
export const consumerFunctions = Object.fromEntries(
  (Object.keys(consumerTopicByName) as ConsumerName[]).map((name) => [
    name,
    { topic: consumerTopicByName[name], create: consumerFactories[name] },
  ]),
) as { [Name in ConsumerName]: { topic: (typeof consumerTopicByName)[Name]; create: ConsumerFactory } };

export type { ConsumerName };

/** kafkajs gives repeated headers as arrays; Lambda's event carries one value per entry. */
function kafkaHeaders(headers: IHeaders | undefined): Record<string, string | Buffer> {
  const flat: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) flat[name] = last;
  }
  return flat;
}

/**
 * Development without a broker: the same consumer handlers subscribed to the in-process bus,
 * which hands them the same Lambda-shaped events one at a time.
 */
export function subscribeInProcess(
  context: AppContext,
  bus: InProcessBus,
  names: readonly ConsumerName[] = Object.keys(consumerFunctions) as ConsumerName[],
): void {
  for (const name of names) {
    const definition = consumerFunctions[name];
    bus.subscribe(
      bus.topic(definition.topic),
      definition.create(() => context),
    );
  }
}

/**
 * The local stand-in for Lambda's Kafka event-source mappings: a kafkajs consumer group per
 * function that hands each fetched batch, in Lambda's event shape, to the same handler the
 * deployment runs, and commits the batch's offsets only after the handler resolved.
 */
export async function startWorkers(
  context: AppContext,
  names: readonly ConsumerName[] = Object.keys(consumerFunctions) as ConsumerName[],
): Promise<{ stop(): Promise<void> }> {
  const kafka = context.kafka;
  if (!kafka) throw new Error("KAFKA_BROKERS is not set: the workers need Kafka");
  const { settings } = context;
  await ensureTopics(kafka, settings.KAFKA_TOPIC_PARTITIONS, settings.KAFKA_TOPIC_PREFIX);
  const consumers: Consumer[] = [];
  for (const name of names) {
    const definition = consumerFunctions[name];
    const handler = definition.create(() => context);
    const topic = `${settings.KAFKA_TOPIC_PREFIX}${definition.topic}`;
    const consumer = kafka.consumer({
      groupId: `${settings.KAFKA_GROUP_PREFIX}-${name}`,
      sessionTimeout: 60_000,
      heartbeatInterval: 3_000,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        // A long record (an ingestion worker streaming a table) must not look like a dead consumer.
        const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
        try {
          await handler(
            encodeKafkaEvent(
              batch.messages.map((message) => ({
                topic: batch.topic,
                partition: batch.partition,
                offset: Number(message.offset),
                key: message.key,
                value: message.value,
                timestamp: Number(message.timestamp),
                headers: kafkaHeaders(message.headers),
              })),
            ),
          );
        } finally {
          clearInterval(beat);
        }
        const last = batch.messages.at(-1);
        if (last) {
          // Resolving moves the fetch position; committing makes it survive a restart. Both only now.
          resolveOffset(last.offset);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: String(Number(last.offset) + 1) },
          ]);
        }
      },
    });
    consumers.push(consumer);
  }
  return {
    async stop() {
      await Promise.allSettled(consumers.map((consumer) => consumer.disconnect()));
    },
  };
}
