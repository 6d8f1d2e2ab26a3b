import type { Redis } from "ioredis";
import type { Logger } from "../logging/index.js";
import { ensureRedisReady } from "../redis/index.js";
import { RateLimitedError } from "./errors.js";

const windowMs = 60_000;

/**
 * A fixed one-minute window per identity, counted in Redis so every instance of every function
 * shares it. When Redis is unreachable requests pass (logged): a rate limiter must not become
 * the reason the service is down.
 */
export class RateLimiter {
  private readonly redis: Redis | undefined;
  private readonly prefix: string;
  private readonly logger: Logger;

  constructor(redis: Redis | undefined, options: { prefix: string; logger: Logger }) {
    this.redis = redis;
    this.prefix = options.prefix;
    this.logger = options.logger;
  }

  /** Counts one request for `identity`; throws RateLimitedError over `limit` (0 = unlimited). */
  async consume(identity: string, limit: number, now = Date.now()): Promise<void> {
    if (limit <= 0 || !this.redis) return;
    const window = Math.floor(now / windowMs);
    const key = `${this.prefix}ratelimit:${identity}:${window}`;
    let count: number;
    try {
      await ensureRedisReady(this.redis, 500);
      const replies = await this.redis
        .multi()
        .incr(key)
        .pexpire(key, windowMs * 2)
        .exec();
      count = Number(replies?.[0]?.[1] ?? 0);
    } catch (error) {
      this.logger.warn({ err: error }, "rate limiter skipped: redis unavailable");
      return;
    }
    if (count > limit) {
      throw new RateLimitedError(limit, Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000)));
    }
  }
}
