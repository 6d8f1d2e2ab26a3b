import type { z } from "zod";
import type { AppContext } from "../../../core/context/index.js";
import { ComponentUnavailableError } from "../../../core/errors/index.js";
import { countIngestFailure, failureEvents } from "../../../core/ingest/index.js";
import {
  batchStatusEventSchema,
  type DecodedRecord,
  decodeKafkaEvent,
  processRecords,
  type RecordOutcome,
  topics,
} from "../../../core/messaging/index.js";
import { flushMetrics, setMetricsMode } from "../../../core/metrics/index.js";

export type ContextProvider = () => AppContext;

export interface ConsumerDefinition<T> {
  name: string;
  schema: z.ZodType<T>;
  handle: (context: AppContext, message: T, record: DecodedRecord) => Promise<void>;
  /** Whether a dead-lettered message is recorded on its batch's status. */
  reportFailures: boolean;
}

/**
 * A Lambda-style Kafka consumer: decodes the event (records by topic-partition, base64), gives
 * each record its own outcome through core's processRecords, and logs one line per event.
 * Resolves only when every record is handled or dead-lettered, so the runner commits after that.
 */
export function createConsumer<T>(definition: ConsumerDefinition<T>, getContext: ContextProvider) {
  return async (event: unknown): Promise<{ outcomes: RecordOutcome[] }> => {
    const context = getContext();
    const publisher = context.publisher;
    if (!publisher)
      throw new ComponentUnavailableError("kafka", { message: "kafka is not configured (KAFKA_BROKERS)" });
    setMetricsMode(context.settings.METRICS_MODE);
    const started = performance.now();
    const records = decodeKafkaEvent(event);
    const logBatch = (outcome: "ok" | "dead_lettered" | "failed", outcomes: readonly RecordOutcome[]) => {
      const offsets = records.map((record) => record.offset);
      context.logger.info(
        {
          consumer: definition.name,
          topic: records[0]?.topic,
          partitions: [...new Set(records.map((record) => record.partition))],
          first_offset: offsets.length ? Math.min(...offsets) : undefined,
          last_offset: offsets.length ? Math.max(...offsets) : undefined,
          records: records.length,
          dead_lettered: outcomes.filter((result) => result.status === "dead-lettered").length,
          outcome,
          duration_ms: Math.round(performance.now() - started),
        },
        "consumer batch",
      );
      if (context.settings.METRICS_MODE === "emf") flushMetrics({ namespace: context.settings.SERVICE_NAME });
    };
    const outcomes = await processRecords(records, {
      schema: definition.schema,
      publisher,
      logger: context.logger,
      handle: (message, record) => definition.handle(context, message, record),
      onDeadLetter: definition.reportFailures
        ? (message, error) => {
            countIngestFailure(message as Parameters<typeof countIngestFailure>[0]);
            return publisher.publish(
              topics.batchStatus,
              (message as { batch_id?: string } | undefined)?.batch_id ?? "unknown",
              batchStatusEventSchema,
              failureEvents(message as Parameters<typeof failureEvents>[0], error),
            );
          }
        : undefined,
    }).catch((error: unknown) => {
      // A dead letter could not be written: nothing is committed and the batch comes again.
      logBatch("failed", []);
      throw error;
    });
    logBatch(outcomes.some((result) => result.status === "dead-lettered") ? "dead_lettered" : "ok", outcomes);
    return { outcomes };
  };
}
