import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { CdcStateStore } from "../../../core/cdc/state.js";
import { readHistory } from "../../../core/chat/history.js";
import { ComponentUnavailableError } from "../../../core/errors/index.js";
import { createRedis, readyRedis } from "../../../core/redis/index.js";
import { BatchStatusStore } from "../../../core/status/index.js";
import { SyncStateStore } from "../../../core/sync/index.js";
import { testServices, uniqueName } from "../../support/services.js";

/**
 * Every Redis user gets its client through readyRedis: a fresh process's first burst of requests all
 * wait for the one lazy connection instead of some of them finding it still connecting (a 503 then,
 * since nothing is queued offline).
 */
describe("one ready Redis for every store", () => {
  const prefix = `${uniqueName("test-ready")}:`;
  const clients: Redis[] = [];
  const fresh = () => {
    const redis = createRedis(testServices.redisUrl);
    clients.push(redis);
    return redis;
  };
  afterEach(() => {
    for (const redis of clients.splice(0)) redis.disconnect();
  });

  const stores: Record<string, (redis: Redis) => () => Promise<unknown>> = {
    "batch status": (redis) => {
      const store = new BatchStatusStore(redis, { prefix, ttlSeconds: 60 });
      return () => store.recent(5);
    },
    "sync state": (redis) => {
      const store = new SyncStateStore(redis, { prefix });
      return () => store.tables();
    },
    "change data capture": (redis) => {
      const store = new CdcStateStore(redis, { prefix });
      return () => store.registration("nowhere");
    },
    "chat history": (redis) => () =>
      readHistory(
        {
          redis,
          settings: { REDIS_KEY_PREFIX: prefix, CHAT_HISTORY_MAX_MESSAGES: 10, CHAT_HISTORY_TTL_SECONDS: 60 },
        },
        "ada",
        { limit: 5 },
      ),
  };

  for (const [name, build] of Object.entries(stores)) {
    it(`${name}: 40 concurrent first calls on a fresh client all succeed`, async () => {
      const call = build(fresh());
      const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => call()));
      expect(outcomes.filter((outcome) => outcome.status === "rejected")).toEqual([]);
    });
  }

  it("names what needed Redis when it is not configured, as a 503-mapped error", async () => {
    const failure = await readyRedis(undefined, { purpose: "sync state" }).catch((error) => error);
    expect(failure).toBeInstanceOf(ComponentUnavailableError);
    expect(failure.message).toBe("sync state needs redis, which is not configured (REDIS_URL)");
  });

  it("reports an unreachable Redis as unavailable within the connect timeout", async () => {
    const unreachable = createRedis("redis://127.0.0.1:1");
    clients.push(unreachable);
    const failure = await readyRedis(unreachable, { connectTimeoutMs: 500 }).catch((error) => error);
    expect(failure).toBeInstanceOf(ComponentUnavailableError);
    expect(failure.component).toBe("redis");
  });
});
