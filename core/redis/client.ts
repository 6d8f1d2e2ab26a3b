import { Redis } from "ioredis";
import { ComponentUnavailableError } from "../errors/index.js";
import { metrics } from "../metrics/index.js";

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
  redis.on("error", () => metrics.componentErrors.inc({ component: "redis", kind: "connection" }));
  return redis;
}

/** Connects if needed and pings; resolves with the server's version. */
export async function pingRedis(redis: Redis): Promise<string> {
  if (redis.status === "wait" || redis.status === "end") await redis.connect();
  await redis.ping();
  const info = await redis.info("server");
  return /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
}

/** The shared client connects lazily and queues nothing offline, so the first command must wait for it. */
export async function ensureRedisReady(redis: Redis, connectTimeoutMs = 2_000): Promise<void> {
  if (isReady(redis)) return;
  if (redis.status === "wait" || redis.status === "end") {
    // Another request may have started connecting meanwhile; then wait for it like everyone else.
    await redis.connect().catch(() => undefined);
  }
  if (isReady(redis)) return;
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error(`redis not ready within ${connectTimeoutMs} ms (status ${redis.status})`));
    }, connectTimeoutMs);
    redis.once("ready", onReady);
  });
}

/** A function, not an inline check, so TypeScript does not narrow the status across an await. */
function isReady(redis: Redis): boolean {
  return redis.status === "ready";
}

/**
 * The one way to get a usable Redis: configured, connected and ready, or ComponentUnavailableError
 * (a 503 naming redis) saying which. `purpose` says what needs it when Redis is not configured.
 */
export async function readyRedis(
  redis: Redis | undefined,
  options: { purpose?: string; connectTimeoutMs?: number } = {},
): Promise<Redis> {
  if (!redis) {
    throw new ComponentUnavailableError("redis", {
      message: `${options.purpose ?? "this"} needs redis, which is not configured (REDIS_URL)`,
    });
  }
  try {
    await ensureRedisReady(redis, options.connectTimeoutMs);
  } catch (error) {
    throw new ComponentUnavailableError("redis", { cause: error });
  }
  return redis;
}
