import { z } from "zod";
import type { DecodedRecord } from "../../../core/messaging/index.js";

/**
 * The event AWS Lambda hands a Kafka consumer (MSK or self-managed): records grouped by
 * "topic-partition", keys and values base64. The local runner builds the same shape.
 */
export const kafkaEventSchema = z.object({
  eventSource: z.enum(["aws:kafka", "SelfManagedKafka"]),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(
    z.string(),
    z.array(
      z.object({
        topic: z.string(),
        partition: z.number().int(),
        offset: z.number().int(),
        timestamp: z.number().optional(),
        timestampType: z.string().optional(),
        key: z.string().nullish(),
        value: z.string().nullish(),
        headers: z.array(z.record(z.string(), z.array(z.number()))).optional(),
      }),
    ),
  ),
});
export type KafkaEvent = z.infer<typeof kafkaEventSchema>;

// Lambda sends each header as a list of byte values; decoded as UTF-8, the last value of a repeated key wins.

/** The records of an event in partition order, keys and values decoded from base64. */
export function decodeKafkaEvent(event: unknown): DecodedRecord[] {
  const parsed = kafkaEventSchema.parse(event);
  return Object.values(parsed.records).flatMap((records) =>
    records.map((record) => ({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: record.key ? Buffer.from(record.key, "base64").toString("utf8") : null,
      value: record.value ? Buffer.from(record.value, "base64") : null,
      headers: Object.fromEntries(
        (record.headers ?? []).flatMap((header) =>
          Object.entries(header).map(([name, bytes]) => [name, Buffer.from(bytes).toString("utf8")]),
        ),
      ),
    })),
  );
}

/** Builds the Lambda shape from raw records (the local runner, tests). */
export function encodeKafkaEvent(
  records: readonly {
    topic: string;
    partition: number;
    offset: number;
    key: Buffer | string | null;
    value: Buffer | string | null;
    timestamp?: number;
    headers?: Record<string, string | Buffer>;
  }[],
): KafkaEvent {
  const grouped: KafkaEvent["records"] = {};
  for (const record of records) {
    const group = `${record.topic}-${record.partition}`;
    grouped[group] ??= [];
    grouped[group].push({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp ?? Date.now(),
      timestampType: "CREATE_TIME",
      key: record.key === null ? null : Buffer.from(record.key).toString("base64"),
      value: record.value === null ? null : Buffer.from(record.value).toString("base64"),
      headers: Object.entries(record.headers ?? {}).map(([name, value]) => ({ [name]: [...Buffer.from(value)] })),
    });
  }
  return { eventSource: "SelfManagedKafka", records: grouped };
}
