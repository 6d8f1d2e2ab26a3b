import { Redis } from "ioredis";

/**
 * One Redis connection per process. Commands fail fast while the server is away
 * (no offline queue, one retry) so a request gets a typed error instead of hanging;
 * the client keeps reconnecting in the background.
 */
export function createRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Failed commands reject to their callers, who map them; the 'error' event only repeats
  // connection failures, and unhandled it would be printed on every reconnect attempt.
  redis.on("error", () => undefined);
  return redis;
}

/** Connects if needed and pings; resolves with the server's version. */
export async function pingRedis(redis: Redis): Promise<string> {
  if (redis.status === "wait" || redis.status === "end") await redis.connect();
  await redis.ping();
  const info = await redis.info("server");
  return /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
}
