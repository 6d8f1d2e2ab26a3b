import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CdcApplyDependencies } from "../../../core/cdc/apply.js";
import type { RowChange } from "../../../core/cdc/events.js";
import { recordedRows } from "../../../core/cdc/recorded-joins.js";
import type { AppContext } from "../../../core/context/index.js";
import type { Relation } from "../../../core/relations/index.js";
import { SyncStateStore } from "../../../core/sync/index.js";
import type { SyncTarget } from "../../../core/sync/target.js";
import { createTestContext } from "../../support/app-context.js";
import { uniqueName } from "../../support/services.js";

/**
 * How one batch of order-line events reads and moves the key → order map, on real Redis: the order a
 * row was recorded under before the batch, and what the batch leaves recorded (the last event of a key wins).
 */
describe("the key → join map a CDC batch reads and writes", () => {
  const prefix = `${uniqueName("joins")}:`;
  let context: AppContext;
  let state: SyncStateStore;
  const source = "shop";
  const target = { shape: { source, table: "orders" } } as SyncTarget;
  const lines = {
    path: "lines",
    table: "order_lines",
    primaryKey: ["id"],
    childKeys: ["order_id"],
    parentKeys: ["id"],
  } as Relation;
  const change = (op: RowChange["op"], id: number, image: Record<string, unknown> = {}): RowChange => ({
    op,
    origin: "shop",
    schema: "public",
    table: "order_lines",
    key: { id },
    image: { id, ...image },
    lsn: undefined,
    commitMs: undefined,
  });
  const dependencies = () => ({ ...context, settings: { ...context.settings, REDIS_KEY_PREFIX: prefix } });
  const recorded = () => state.relatedRows(source, "orders", "lines");

  beforeAll(async () => {
    context = createTestContext();
    state = new SyncStateStore(context.redis, { prefix });
  });

  afterAll(async () => {
    const keys = await context.redis?.keys(`${prefix}*`);
    if (keys?.length) await context.redis?.del(...keys);
    await context.close();
  });

  it("reads the recorded order of each key the batch names, and records inserts, moves and deletes", async () => {
    await state.replaceRelatedRows(
      source,
      "orders",
      "lines",
      new Map([
        ["1", "100"],
        ["2", "100"],
        ["3", "101"],
      ]),
    );
    const batch = [
      change("d", 1),
      change("u", 2, { order_id: 102 }),
      change("c", 4, { order_id: 103 }),
      // Inserted and deleted within the batch: recorded as gone.
      change("c", 5, { order_id: 104 }),
      change("d", 5),
    ];
    const rows = await recordedRows(dependencies() as unknown as CdcApplyDependencies, target, lines, batch);
    expect(Object.fromEntries(rows.before)).toEqual({ "1": "100", "2": "100" });
    expect(rows.truncated).toBe(false);
    expect(Object.fromEntries(rows.written)).toEqual({ "2": "102", "4": "103" });
    expect([...rows.deleted].sort()).toEqual(["1", "5"]);
    // Nothing is written until the dependents are re-rendered.
    expect(Object.fromEntries(await recorded())).toEqual({ "1": "100", "2": "100", "3": "101" });
    await rows.save();
    expect(Object.fromEntries(await recorded())).toEqual({ "2": "102", "3": "101", "4": "103" });
  });

  it("a key deleted and inserted again within the batch is recorded under its new order", async () => {
    const rows = await recordedRows(dependencies() as unknown as CdcApplyDependencies, target, lines, [
      change("d", 3),
      change("c", 3, { order_id: 105 }),
    ]);
    expect(Object.fromEntries(rows.before)).toEqual({ "3": "101" });
    await rows.save();
    expect((await recorded()).get("3")).toBe("105");
  });
});
