import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditTable, syncTable } from "../../../core/sync/index.js";
import { openSyncFixture, type SyncFixture, syncNames } from "../../support/sync-fixture.js";
import { storedRecords } from "../../support/sync-oracle.js";
import { orderIncludes, shopSql } from "./shop-fixture.js";

/**
 * Documents that render related rows, kept fresh by sync: a changed related row re-renders only
 * its dependents, read through the related table's watermark; only those whose text changed are
 * embedded again (the counting embedder records every text it embeds).
 */
describe("sync and audit of documents with related rows, on PostgreSQL", () => {
  const names = syncNames("rel-sync");
  const { pgSource } = names;
  let opened: SyncFixture;
  const spec = {
    text_fields: ["status"],
    fields: ["status"],
    watermark_column: "updated_at",
    include: orderIncludes,
  };

  beforeAll(async () => {
    // Pages of 3 rows: every run crosses page borders on the main table and the related ones.
    opened = await openSyncFixture(names, { setupSql: shopSql, pageSize: 3 });
  });
  afterAll(async () => {
    await opened?.close();
  });

  const sync = () => syncTable(opened.dependencies, { source: pgSource, table: "orders" });
  const contents = async () =>
    new Map(
      (await storedRecords(opened.context, pgSource, "orders")).map((record) => [
        Number(record.id.split(":").at(-1)),
        record.content,
      ]),
    );
  /** Which orders the embedder was given since the last reset, told by the texts it embedded. */
  const embeddedOrders = async () => {
    const byText = new Map([...(await contents())].map(([id, content]) => [content, id]));
    return opened.embedder.texts.map((text) => byText.get(text)).sort();
  };

  it("embeds every order on the first sync, then nothing while nothing changes", async () => {
    const first = await syncTable(opened.dependencies, { source: pgSource, table: "orders", spec });
    expect(first).toMatchObject({ changed: 7, reembedded: 7, full_scan: true });
    opened.embedder.reset();
    const second = await sync();
    expect(second).toMatchObject({ reembedded: 0, full_scan: false });
    // Related rows at their watermark come again (gte), like the table's own; their dependents are few and unchanged.
    expect(second.dependents).toBeLessThan(7);
    expect(second.unchanged).toBe(second.changed + second.dependents);
    expect(opened.embedder.texts).toEqual([]);
  });

  it("re-embeds exactly the dependents of a renamed customer, and no other order", async () => {
    await opened.sql("UPDATE @customers SET name = 'Ada King', updated_at = clock_timestamp() WHERE id = 1");
    opened.embedder.reset();
    const summary = await sync();
    expect(summary).toMatchObject({ reembedded: 2, full_scan: false });
    expect(summary.dependents).toBeGreaterThanOrEqual(2);
    expect(await embeddedOrders()).toEqual([100, 104]);
    const stored = await contents();
    expect(stored.get(100)).toContain("customer.name: Ada King");
    expect(stored.get(104)).toContain("customer.name: Ada King");
    expect([...stored.values()].filter((content) => content.includes("Ada Lovelace"))).toEqual([]);
  });

  it("follows a two-step chain: a renamed product re-renders the orders whose lines hold it", async () => {
    await opened.sql("UPDATE @products SET name = 'Lumen Trail Pack 38', updated_at = clock_timestamp() WHERE id = 13");
    opened.embedder.reset();
    const summary = await sync();
    expect(summary.reembedded).toBe(1);
    // Order 102 holds the backpack on line 5, beyond its limit of 3 lines: its text does not change.
    expect(await embeddedOrders()).toEqual([104]);
    expect((await contents()).get(104)).toContain("lines: quantity: 1; product.name: Lumen Trail Pack 38");
  });

  it("re-renders the order whose line was deleted, though a deletion leaves no newer watermark", async () => {
    await opened.sql("DELETE FROM @order_lines WHERE id = 1001");
    opened.embedder.reset();
    const summary = await sync();
    expect(summary).toMatchObject({ full_scan: false, reembedded: 1 });
    expect(await embeddedOrders()).toEqual([100]);
    expect((await contents()).get(100)).not.toContain("Kestrel Headlamp Pro");
    opened.embedder.reset();
    // Recorded: the next run finds nothing more to do.
    expect(await sync()).toMatchObject({ reembedded: 0 });
    expect(opened.embedder.texts).toEqual([]);
  });

  it("audits a dependent left stale behind the sync's back, and repair re-embeds only it", async () => {
    // A change the sync cannot see: no newer updated_at on the customer.
    await opened.sql("UPDATE @customers SET city = 'Washington' WHERE id = 2");
    const report = await auditTable(opened.dependencies, { source: pgSource, table: "orders" });
    expect(report.stale.count).toBe(2);
    expect(report.stale.sample.sort()).toEqual([`${pgSource}:orders:101`, `${pgSource}:orders:105`]);
    expect(report.missing.count + report.extra.count).toBe(0);

    opened.embedder.reset();
    const repaired = await auditTable(opened.dependencies, { source: pgSource, table: "orders", repair: true });
    expect(repaired.repaired).toMatchObject({ reembedded: 2, deleted: 0 });
    expect(await embeddedOrders()).toEqual([101, 105]);
    const again = await auditTable(opened.dependencies, { source: pgSource, table: "orders" });
    expect(again.stale.count + again.missing.count + again.extra.count).toBe(0);
    expect((await contents()).get(101)).toContain("customer.city: Washington");
  });

  it("removes the documents a cascading delete took with their customer's order", async () => {
    await opened.sql("DELETE FROM @orders WHERE id = 103");
    const summary = await sync();
    expect(summary.deleted).toBe(1);
    expect((await contents()).has(103)).toBe(false);
  });
});

describe("sync of documents with related rows and no watermark: every row read, hashes compared", () => {
  const names = syncNames("rel-hash");
  const { pgSource } = names;
  let opened: SyncFixture;

  beforeAll(async () => {
    opened = await openSyncFixture(names, { setupSql: shopSql, pageSize: 3 });
    await syncTable(opened.dependencies, {
      source: pgSource,
      table: "orders",
      spec: { text_fields: ["status"], include: orderIncludes },
    });
  });
  afterAll(async () => {
    await opened?.close();
  });

  const contentOf = async (id: number) =>
    (await storedRecords(opened.context, pgSource, "orders")).find((record) => record.id === `${pgSource}:orders:${id}`)
      ?.content;

  it("re-renders the order whose line was deleted, and embeds no other", async () => {
    const before = await contentOf(100);
    await opened.sql("DELETE FROM @order_lines WHERE id = 1001");
    opened.embedder.reset();
    const summary = await syncTable(opened.dependencies, { source: pgSource, table: "orders" });
    expect(summary).toMatchObject({ full_scan: true, changed: 7, reembedded: 1, unchanged: 6 });
    const after = await contentOf(100);
    expect(opened.embedder.texts).toEqual([after]);
    expect(before).toContain("product.name: Kestrel Headlamp Pro");
    expect(after).not.toContain("Kestrel Headlamp Pro");
  });

  it("re-embeds the dependents of a renamed customer by their changed hashes", async () => {
    await opened.sql("UPDATE @customers SET name = 'Alan M. Turing' WHERE id = 3");
    opened.embedder.reset();
    const summary = await syncTable(opened.dependencies, { source: pgSource, table: "orders" });
    expect(summary).toMatchObject({ reembedded: 1, unchanged: 6 });
    expect(opened.embedder.texts).toEqual([await contentOf(102)]);
  });
});
