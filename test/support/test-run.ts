import type { AppContext } from "../../core/context/index.js";

/** What a test run (or a benchmark) wrote to the shared services under its own names. */
export interface RunLeftovers {
  /** Sources whose vectors it stored. */
  sources?: readonly string[];
  /** Its KAFKA_TOPIC_PREFIX: every topic named under it is deleted, the ones Connect made too. */
  topicPrefix?: string;
  /** Its REDIS_KEY_PREFIX. */
  redisPrefix?: string;
}

/** Deletes every Redis key under the prefix a test used. */
export async function dropRedisPrefix(context: AppContext | undefined, prefix: string): Promise<void> {
  const redis = context?.redis;
  if (redis?.status !== "ready") return;
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** Deletes every Kafka topic whose name starts with `prefix`; a run's topics are its own. */
export async function deleteTopicsUnder(context: AppContext | undefined, prefix: string): Promise<void> {
  const admin = context?.kafka?.admin();
  if (!admin) return;
  await admin.connect();
  try {
    const created = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (created.length > 0) await admin.deleteTopics({ topics: created }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Removes what a run left in the shared services, then closes its context, so other test
 * files (and other checkouts) never see it. Safe to call when the setup failed half-way.
 */
export async function releaseRun(context: AppContext | undefined, leftovers: RunLeftovers): Promise<void> {
  if (!context) return;
  for (const source of leftovers.sources ?? []) await context.vectors?.deleteSource(source);
  if (leftovers.topicPrefix) await deleteTopicsUnder(context, leftovers.topicPrefix);
  if (leftovers.redisPrefix) await dropRedisPrefix(context, leftovers.redisPrefix);
  await context.close();
}
