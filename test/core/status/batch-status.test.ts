import { afterAll, describe, expect, it } from "vitest";
import { createRedis } from "../../../core/redis/index.js";
import { BatchStatusStore } from "../../../core/status/index.js";
import { testServices, uniqueName } from "../../support/services.js";

describe("batch status in Redis", () => {
  const redis = createRedis(testServices.redisUrl);
  const prefix = `${uniqueName("test-status")}:`;
  const store = new BatchStatusStore(redis, { prefix, ttlSeconds: 60, recentLimit: 3 });
  const at = () => new Date().toISOString();
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it("counts each document once however often its event is delivered, and completes exactly", async () => {
    const id = "aaaaaaaa-0000-4000-8000-000000000001";
    await store.create(id, { source: "shop", table: "products" });
    expect((await store.get(id))?.status).toBe("queued");
    const processed = {
      schema_version: 1 as const,
      batch_id: id,
      type: "processed" as const,
      ids: ["a", "b"],
      at: at(),
    };
    await store.apply(processed);
    await store.apply(processed);
    expect(await store.get(id)).toMatchObject({ status: "processing", processed_documents: 2, total_documents: null });
    await store.apply({ schema_version: 1, batch_id: id, type: "total", total: 4, at: at() });
    await store.apply({ schema_version: 1, batch_id: id, type: "failed", ids: ["c"], error: "boom", at: at() });
    expect(await store.get(id)).toMatchObject({ status: "processing", failed_documents: 1, progress_percentage: 75 });
    // A document that failed and then succeeded on a retry counts as processed only.
    await store.apply({ ...processed, ids: ["c", "d"] });
    expect(await store.get(id)).toMatchObject({
      status: "completed",
      processed_documents: 4,
      failed_documents: 0,
      progress_percentage: 100,
    });
    expect(await redis.ttl(`${prefix}batch:${id}`)).toBeGreaterThan(0);
  });

  it("reports completed_with_errors and failed", async () => {
    const partial = "aaaaaaaa-0000-4000-8000-000000000002";
    await store.create(partial, { source: "shop", table: "t" });
    await store.apply({ schema_version: 1, batch_id: partial, type: "total", total: 2, at: at() });
    await store.apply({ schema_version: 1, batch_id: partial, type: "processed", ids: ["x"], at: at() });
    await store.apply({ schema_version: 1, batch_id: partial, type: "failed", ids: ["y"], error: "bad", at: at() });
    expect(await store.get(partial)).toMatchObject({ status: "completed_with_errors", failed_documents: 1 });
    const broken = "aaaaaaaa-0000-4000-8000-000000000003";
    await store.create(broken, { source: "shop", table: "t" });
    await store.apply({ schema_version: 1, batch_id: broken, type: "error", error: "table 'gone' vanished", at: at() });
    expect(await store.get(broken)).toMatchObject({ status: "failed", error_message: "table 'gone' vanished" });
  });

  it("keeps a trimmed list of recent batches, newest first, and knows nothing of unknown ids", async () => {
    await store.create("aaaaaaaa-0000-4000-8000-000000000004", { source: "shop", table: "t" });
    const recent = await store.recent(10);
    expect(recent.map((batch) => batch.batch_id)).toEqual([
      "aaaaaaaa-0000-4000-8000-000000000004",
      "aaaaaaaa-0000-4000-8000-000000000003",
      "aaaaaaaa-0000-4000-8000-000000000002",
    ]);
    expect(await store.get("bbbbbbbb-0000-4000-8000-000000000000")).toBeUndefined();
  });
});
