import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { SyncStateStore } from "../../../core/sync/index.js";
import { createTestContext } from "../../support/app-context.js";
import { uniqueName } from "../../support/services.js";

describe("sync state in Redis", () => {
  const prefix = `${uniqueName("state")}:`;
  let context: AppContext;
  let state: SyncStateStore;
  let other: SyncStateStore;

  beforeAll(() => {
    context = createTestContext();
    state = new SyncStateStore(context.redis, { prefix });
    // A second instance, as another function instance would have: nothing is kept in process memory.
    other = new SyncStateStore(context.redis, { prefix });
  });

  afterAll(async () => {
    const keys = await context.redis?.keys(`${prefix}*`);
    if (keys?.length) await context.redis?.del(...keys);
    await context.close();
  });

  it("keeps the spec, the watermark and the last run, readable by another instance", async () => {
    expect(await state.get("shop", "products")).toBeUndefined();
    const spec = { text_fields: ["title"], watermark_column: "updated_at" };
    await state.saveSpec("shop", "products", spec, ["id"]);
    await state.recordRun("shop", "products", {
      spec,
      watermark: { value: "2026-01-01T00:00:00.000Z", as: "date" },
      result: { reembedded: 3 },
      syncId: "0000aaaa-1111",
    });
    expect(await other.get("shop", "products")).toMatchObject({
      spec,
      primary_key: ["id"],
      watermark: { value: "2026-01-01T00:00:00.000Z", as: "date" },
      last_result: { reembedded: 3 },
      last_sync_id: "0000aaaa-1111",
      last_error: null,
    });
    await state.recordError("shop", "products", "SourceUnavailableError: down");
    expect((await other.get("shop", "products"))?.last_error).toContain("down");
    expect(await other.tables()).toEqual([{ source: "shop", table: "products" }]);
  });

  it("drops the watermark when the spec changes, and keeps it when the same spec is saved again", async () => {
    await state.saveSpec("shop", "products", { text_fields: ["title"], watermark_column: "updated_at" }, ["id"]);
    expect((await state.get("shop", "products"))?.watermark).not.toBeNull();
    const changed = { text_fields: ["title", "body"], watermark_column: "updated_at" };
    await state.saveSpec("shop", "products", changed, ["id"]);
    expect((await state.get("shop", "products"))?.watermark).toBeNull();
    // A run that started under the old spec and ends now must not bring its watermark back.
    const stale = { text_fields: ["title"], watermark_column: "updated_at" };
    await state.recordRun("shop", "products", { spec: stale, watermark: { value: 7 }, result: {} });
    expect((await state.get("shop", "products"))?.watermark).toBeNull();
    await state.recordRun("shop", "products", { spec: changed, watermark: { value: 7 }, result: {} });
    expect((await state.get("shop", "products"))?.watermark).toEqual({ value: 7 });
  });

  it("lets one holder have a table's lock, frees it on release, and lets it lapse after its time", async () => {
    const first = await state.lock("shop", "a:table/with odd:name", { ttlSeconds: 30 });
    expect(first).toBeDefined();
    expect(await other.lock("shop", "a:table/with odd:name", { ttlSeconds: 30 })).toBeUndefined();
    await first?.release();
    const second = await other.lock("shop", "a:table/with odd:name", { ttlSeconds: 1 });
    expect(second).toBeDefined();
    // The first holder's late release must not free the second holder's lock.
    await first?.release();
    expect(await state.lock("shop", "a:table/with odd:name", { ttlSeconds: 30 })).toBeUndefined();
    const third = await state.lock("shop", "a:table/with odd:name", { ttlSeconds: 30, waitMs: 3_000 });
    expect(third).toBeDefined();
    await third?.release();
  });

  it("reports Redis being away as the component unavailable", async () => {
    const nowhere = createTestContext({ REDIS_URL: "redis://127.0.0.1:1" });
    try {
      await expect(new SyncStateStore(nowhere.redis, { prefix }).get("shop", "products")).rejects.toMatchObject({
        code: "component_unavailable",
      });
      await expect(new SyncStateStore(undefined, { prefix }).tables()).rejects.toMatchObject({
        code: "component_unavailable",
      });
    } finally {
      await nowhere.close();
    }
  });
});
