import type { Admin, Kafka } from "kafkajs";
import { metrics } from "./registry.js";

/** A consumer function and the topic its group reads (unprefixed names). */
export interface ConsumerTopic {
  consumer: string;
  topic: string;
}

export interface PartitionLag {
  consumer: string;
  /** The service's topic name, without the deployment's prefix. */
  topic: string;
  partition: number;
  lag: number;
}

export interface LagOptions {
  /** KAFKA_TOPIC_PREFIX: each topic is read as `${topicPrefix}${topic}`. */
  topicPrefix: string;
  /** KAFKA_GROUP_PREFIX: each group is `${groupPrefix}-${consumer}`, as the workers join them. */
  groupPrefix: string;
  consumers: readonly ConsumerTopic[];
  timeoutMs?: number;
}

/**
 * Each group's lag per partition: the partition's end offset minus the group's committed offset.
 * A group that never committed reads from the beginning, so everything retained is its lag.
 * Topics not created yet are left out.
 * @example await readConsumerLag(kafka, { topicPrefix: "", groupPrefix: "cwd", consumers: [{ consumer: "status-consumer", topic: "batch-status" }] })
 */
export async function readConsumerLag(kafka: Kafka, options: LagOptions): Promise<PartitionLag[]> {
  const admin = kafka.admin({ retry: { retries: 0 } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`consumer lag not read within ${options.timeoutMs ?? 5_000} ms`)),
      options.timeoutMs ?? 5_000,
    );
  });
  try {
    return await Promise.race([lagOf(admin, options), timeout]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

async function lagOf(admin: Admin, options: LagOptions): Promise<PartitionLag[]> {
  await admin.connect();
  const perConsumer = await Promise.all(
    options.consumers.map(async ({ consumer, topic }) => {
      const fullTopic = `${options.topicPrefix}${topic}`;
      let ends: Awaited<ReturnType<Admin["fetchTopicOffsets"]>>;
      try {
        ends = await admin.fetchTopicOffsets(fullTopic);
      } catch (error) {
        if (isUnknownTopic(error)) return [];
        throw error;
      }
      const [committed] = await admin.fetchOffsets({
        groupId: `${options.groupPrefix}-${consumer}`,
        topics: [fullTopic],
      });
      const committedBy = new Map(
        (committed?.partitions ?? []).map((partition) => [partition.partition, Number(partition.offset)]),
      );
      return ends.map((end) => {
        const position = committedBy.get(end.partition) ?? -1;
        const from = position >= 0 ? position : Number(end.low);
        return { consumer, topic, partition: end.partition, lag: Math.max(0, Number(end.high) - from) };
      });
    }),
  );
  return perConsumer.flat();
}

function isUnknownTopic(error: unknown): boolean {
  const type = (error as { type?: string } | undefined)?.type;
  return type === "UNKNOWN_TOPIC_OR_PARTITION" || /does not host this topic-partition/i.test(String(error));
}

/**
 * Reads the lag and replaces the gauge's series with it (a partition that went away disappears);
 * `cwd_kafka_consumer_lag_up` says whether the read worked (0 without Kafka: there is no lag to read).
 */
export async function refreshConsumerLag(kafka: Kafka | undefined, options: LagOptions): Promise<PartitionLag[]> {
  if (!kafka) {
    metrics.kafkaConsumerLag.reset();
    metrics.kafkaConsumerLagUp.set({}, 0);
    return [];
  }
  let lags: PartitionLag[];
  try {
    lags = await readConsumerLag(kafka, options);
  } catch {
    metrics.kafkaConsumerLag.reset();
    metrics.kafkaConsumerLagUp.set({}, 0);
    return [];
  }
  // Replaced in one synchronous step, so a concurrent scrape never sees the gauge half empty.
  metrics.kafkaConsumerLag.reset();
  for (const { consumer, topic, partition, lag } of lags) {
    metrics.kafkaConsumerLag.set({ consumer, topic, partition }, lag);
  }
  metrics.kafkaConsumerLagUp.set({}, 1);
  return lags;
}
