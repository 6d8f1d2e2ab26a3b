import { afterAll, describe, expect, it } from "vitest";
import { createRedis, pingRedis } from "../../core/redis/index.js";
import { testServices, uniqueName } from "../support/services.js";

describe("Redis (real server from npm run services)", () => {
  const redis = createRedis(testServices.redisUrl);
  afterAll(() => redis.quit());

  it("pings and reports its version", async () => {
    expect(await pingRedis(redis)).toMatch(/^7\./);
  });

  it("keeps hashes, sorted sets and capped lists with TTLs", async () => {
    const key = uniqueName("smoke");
    await redis.hset(`${key}:hash`, { status: "queued", processed: "0" });
    await redis.hincrby(`${key}:hash`, "processed", 3);
    await redis.expire(`${key}:hash`, 60);
    expect(await redis.hgetall(`${key}:hash`)).toEqual({ status: "queued", processed: "3" });
    expect(await redis.ttl(`${key}:hash`)).toBeGreaterThan(0);
    await redis.zadd(`${key}:recent`, 1, "a", 2, "b", 3, "c");
    await redis.zremrangebyrank(`${key}:recent`, 0, -3);
    expect(await redis.zrevrange(`${key}:recent`, 0, -1)).toEqual(["c", "b"]);
    await redis.del(`${key}:hash`, `${key}:recent`);
  });

  it("fails fast, without hanging, when the server is unreachable", async () => {
    const dead = createRedis("redis://127.0.0.1:1");
    const started = Date.now();
    await expect(pingRedis(dead)).rejects.toThrow();
    // Well inside the test's own timeout: a retry loop that never gives up would cross it, a loaded machine would not.
    expect(Date.now() - started).toBeLessThan(20_000);
    dead.disconnect();
  });
});
