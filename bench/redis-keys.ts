import type { AppContext } from "../core/context/index.js";

/** Deletes a bench run's Redis keys (its prefix), so a shared Redis keeps nothing of the run. */
export async function dropRedisKeys(context: AppContext, prefix: string): Promise<void> {
  const redis = context.redis;
  if (!redis) return;
  if (redis.status === "wait") await redis.connect().catch(() => undefined);
  const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
  if (keys.length) await redis.del(...keys).catch(() => undefined);
}
