import type { z } from "zod";
import { AppError } from "../errors/index.js";
import type { Logger } from "../logging/index.js";
import { metrics } from "../metrics/index.js";
import type { DecodedRecord } from "./consumed-record.js";
import type { MessagePublisher } from "./message-publisher.js";
import type { DeadLetter } from "./schemas.js";
import { topicLabel } from "./topic-label.js";
import { deadLetterTopic } from "./topics.js";

export interface RecordOutcome {
  topic: string;
  partition: number;
  offset: number;
  status: "ok" | "dead-lettered";
  attempts: number;
  error?: string;
}

export interface ProcessOptions<T> {
  schema: z.ZodType<T>;
  handle: (message: T, record: DecodedRecord) => Promise<void>;
  publisher: MessagePublisher;
  logger: Logger;
  maxAttempts?: number;
  backoffMs?: number;
  /** Told when a record is given up on, so the batch can record its documents as failed. */
  onDeadLetter?: (message: T | undefined, error: string) => Promise<void>;
}

/** Errors that another attempt will not fix: bad input, a vanished table, a model mismatch. */
function isPermanent(error: unknown): boolean {
  return error instanceof AppError && !error.retryable;
}

const describe = (error: unknown) =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 2_000);

/**
 * Gives each record its own outcome: a record that cannot be parsed, fails its schema, fails
 * permanently or keeps failing after `maxAttempts` goes to `<topic>.dlq` and the rest proceed.
 * Throws only when a dead letter cannot be written, so nothing is ever dropped silently:
 * the caller then does not commit, and the batch comes again.
 */
export async function processRecords<T>(
  records: readonly DecodedRecord[],
  options: ProcessOptions<T>,
): Promise<RecordOutcome[]> {
  const maxAttempts = options.maxAttempts ?? 3;
  const outcomes: RecordOutcome[] = [];
  for (const record of records) {
    let message: T | undefined;
    let attempts = 0;
    let failure: string | undefined;
    const topic = topicLabel(record.topic, options.publisher);
    const handled = metrics.kafkaHandlerSeconds.startTimer({ topic });
    try {
      message = options.schema.parse(JSON.parse(record.value?.toString("utf8") ?? "null"));
    } catch (error) {
      failure = `invalid message: ${describe(error)}`;
    }
    while (message !== undefined && failure === undefined && attempts < maxAttempts) {
      attempts++;
      try {
        await options.handle(message, record);
        break;
      } catch (error) {
        options.logger.warn(
          { topic: record.topic, partition: record.partition, offset: record.offset, attempts, err: error },
          "record failed",
        );
        if (isPermanent(error) || attempts >= maxAttempts) failure = describe(error);
        else await new Promise((resolve) => setTimeout(resolve, (options.backoffMs ?? 200) * 2 ** (attempts - 1)));
      }
    }
    handled();
    if (failure === undefined) {
      metrics.kafkaConsumed.inc({ topic, outcome: "ok" });
      outcomes.push({
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        status: "ok",
        attempts,
      });
      continue;
    }
    const deadLetter: DeadLetter = {
      topic: record.topic,
      partition: record.partition,
      offset: String(record.offset),
      key: record.key,
      value_base64: record.value ? record.value.toString("base64") : null,
      error: failure,
      attempts: Math.max(attempts, 1),
      failed_at: new Date().toISOString(),
    };
    await options.publisher.publishRaw(deadLetterTopic(record.topic), record.key, JSON.stringify(deadLetter));
    metrics.kafkaDeadLetters.inc({ topic });
    metrics.kafkaConsumed.inc({ topic, outcome: "dead_lettered" });
    await options
      .onDeadLetter?.(message, failure)
      .catch((error: unknown) =>
        options.logger.error({ err: error }, "could not record a dead-lettered message on its batch"),
      );
    outcomes.push({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      status: "dead-lettered",
      attempts: deadLetter.attempts,
      error: failure,
    });
  }
  return outcomes;
}
