import type { z } from "zod";
import { type AppContext, type CapabilityFactories, publisherCapability } from "../../../core/context/index.js";
import { type DecodedRecord, processRecords, type RecordOutcome } from "../../../core/messaging/index.js";
import { restrictedView } from "../../shared/default-context.js";
import { flushMetrics, setMetricsMode } from "../../shared/emf.js";
import { decodeKafkaEvent } from "./lambda-event.js";

export type ContextProvider = () => AppContext;

export interface ConsumerDefinition<T> {
  name: string;
  schema: z.ZodType<T>;
  handle: (context: AppContext, message: T, record: DecodedRecord) => Promise<void>;
  /** Told when a record is given up on (after its dead letter is written), e.g. to count it on its batch. */
  onDeadLetter?: (context: AppContext, message: T | undefined, error: string) => Promise<void>;
  /**
   * A pass over the whole event before the record-by-record one, for consumers that apply a batch at
   * once; it answers which records it handled, and those are acknowledged without `handle`.
   */
  prepare?: (context: AppContext, records: readonly DecodedRecord[]) => Promise<(record: DecodedRecord) => boolean>;
  /** What the consumer uses (see consumerCapabilities); unset: every capability. */
  capabilities?: CapabilityFactories;
}

/** A consumer's own capabilities and the publisher, which writes its dead letters. */
export function consumerCapabilities(own: CapabilityFactories): CapabilityFactories {
  return { publisher: publisherCapability, ...own };
}

/**
 * A Lambda-style Kafka consumer: decodes the event (records by topic-partition, base64), gives
 * each record its own outcome through core's processRecords, and logs one line per event.
 * Resolves only when every record is handled or dead-lettered, so the runner commits after that.
 */
export function createConsumer<T>(definition: ConsumerDefinition<T>, provider: ContextProvider) {
  const { capabilities: listed } = definition;
  const getContext = listed ? () => restrictedView(provider(), listed) : provider;
  return async (event: unknown): Promise<{ outcomes: RecordOutcome[] }> => {
    const context = getContext();
    const { publisher } = context.requirePublisher();
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
    const handled = definition.prepare ? await definition.prepare(context, records) : () => false;
    const { onDeadLetter } = definition;
    const outcomes = await processRecords(records, {
      schema: definition.schema,
      publisher,
      logger: context.logger,
      handle: async (message, record) => {
        if (!handled(record)) await definition.handle(context, message, record);
      },
      onDeadLetter: onDeadLetter && ((message, error) => onDeadLetter(context, message, error)),
    }).catch((error: unknown) => {
      // A dead letter could not be written: nothing is committed and the batch comes again.
      logBatch("failed", []);
      throw error;
    });
    logBatch(outcomes.some((result) => result.status === "dead-lettered") ? "dead_lettered" : "ok", outcomes);
    return { outcomes };
  };
}
