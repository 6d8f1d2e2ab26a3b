import { afterAll, describe, expect, it } from "vitest";
import { ComponentUnavailableError } from "../../../core/errors/index.js";
import { createRedis, ensureRedisReady, guardRedis } from "../../../core/redis/index.js";
import { SyncStateStore } from "../../../core/sync/index.js";
import { testServices, uniqueName } from "../../support/services.js";

describe("guardRedis", () => {
  const redis = createRedis(testServices.redisUrl);
  // Nothing listens on port 1: every command fails to connect.
  const unreachable = createRedis("redis://127.0.0.1:1");
  const prefix = `${uniqueName("test-guard")}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    unreachable.disconnect();
  });

  it("reports an unreachable Redis as the component being unavailable", async () => {
    const failure = await guardRedis(() => ensureRedisReady(unreachable, 500)).catch((error) => error);
    expect(failure).toBeInstanceOf(ComponentUnavailableError);
    expect(failure.component).toBe("redis");
  });

  it("keeps a server's refusal of the command itself, which no retry would cure", async () => {
    await ensureRedisReady(redis);
    await redis.set(`${prefix}plain`, "x");
    const failure = await guardRedis(() => redis.hgetall(`${prefix}plain`)).catch((error) => error);
    expect(failure).not.toBeInstanceOf(ComponentUnavailableError);
    expect(failure.message).toMatch(/WRONGTYPE/);
  });

  it("keeps a caller's own bug as it is", async () => {
    const failure = await guardRedis(async () => JSON.parse("{not json")).catch((error) => error);
    expect(failure).toBeInstanceOf(SyntaxError);
  });

  it("sync state: a key of the wrong type is a fault, not Redis being down", async () => {
    const store = new SyncStateStore(redis, { prefix });
    const keys = await redis.keys(`${prefix}sync*`);
    expect(keys).toEqual([]);
    // Make the state store's own key for (shop, products) a string, then read it back.
    await store.saveSpec("shop", "products", { text_fields: ["name"] }, ["id"]);
    const [stateKey] = (await redis.keys(`${prefix}*`)).filter((key) => key.includes("products"));
    expect(stateKey).toBeDefined();
    await redis.del(stateKey as string);
    await redis.set(stateKey as string, "not a hash");
    const failure = await store.get("shop", "products").catch((error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(ComponentUnavailableError);
  });
});
