import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ingestTable } from "../../../core/ingest/index.js";
import { syncTable } from "../../../core/sync/index.js";
import { openSyncFixture, type SyncFixture, syncNames } from "../../support/sync-fixture.js";
import { storedRecords } from "../../support/sync-oracle.js";
import { warehouseSql } from "./shop-fixture.js";

describe("composite foreign keys: every column matched, on PostgreSQL", () => {
  const names = syncNames("rel-composite");
  const { pgSource } = names;
  let opened: SyncFixture;

  beforeAll(async () => {
    // Pages of 2 rows: lookups, dependents and renders cross page borders.
    opened = await openSyncFixture(names, { setupSql: warehouseSql, pageSize: 2 });
  });
  afterAll(async () => {
    await opened?.close();
  });

  const records = async (table: string) =>
    new Map(
      (await storedRecords(opened.context, pgSource, table)).map((record) => [record.id.split(":").at(-1), record]),
    );
  const shipmentSpec = {
    text_fields: ["status"],
    watermark_column: "updated_at",
    include: [{ table: "warehouses", fields: ["name"] }],
  };

  it("renders the warehouse a shipment's (region, code) names, keeps both key columns as metadata, one lookup per page", async () => {
    const connector = opened.context.sources.get(pgSource);
    const related = vi.spyOn(connector, "related");
    try {
      const summary = await syncTable(opened.dependencies, {
        source: pgSource,
        table: "shipments",
        spec: shipmentSpec,
      });
      expect(summary).toMatchObject({ changed: 6, reembedded: 6 });
      // Three pages of two shipments: one lookup each, the pages' keys bound as whole tuples.
      expect(related.mock.calls.map(([request]) => request.table)).toEqual(["warehouses", "warehouses", "warehouses"]);
      expect(related.mock.calls[0]?.[0]).toMatchObject({
        keyFields: ["region", "code"],
        keys: [
          ["eu", 1],
          ["us", 2],
        ],
      });
    } finally {
      related.mockRestore();
    }
    const shipments = await records("shipments");
    expect(shipments.get("1")?.content).toBe("status: packed\nwarehouses.name: Rotterdam Dock");
    expect(shipments.get("2")?.content).toBe("status: in transit\nwarehouses.name: Reno Hub");
    expect(shipments.get("4")?.content).toBe("status: packed\nwarehouses.name: Newark Yard");
    expect(shipments.get("5")?.content).toBe("status: returned\nwarehouses.name: Lyon Depot");
    // A key with a null column matches nothing (MATCH SIMPLE), and the document is still there.
    expect(shipments.get("6")?.content).toBe("status: lost");
    expect(shipments.get("1")?.metadata).toMatchObject({ region: "eu", warehouse_code: 1 });
  });

  it("renders a warehouse's shipments one-to-many through the same key, to the limit", async () => {
    const summary = await ingestTable(opened.dependencies, {
      source: pgSource,
      table: "warehouses",
      textFields: ["name"],
      include: [{ table: "shipments", fields: ["status"], limit: 5, order_by: "id" }],
    });
    expect(summary).toMatchObject({ documents: 4, failed: 0 });
    const warehouses = await records("warehouses");
    const byName = new Map([...warehouses.values()].map((record) => [record.content.split("\n")[0], record.content]));
    expect(byName.get("name: Rotterdam Dock")).toBe(
      "name: Rotterdam Dock\nshipments: status: packed\nshipments: status: delivered",
    );
    expect(byName.get("name: Lyon Depot")).toBe("name: Lyon Depot\nshipments: status: returned");
    expect(byName.get("name: Newark Yard")).toBe("name: Newark Yard\nshipments: status: packed");
  });

  it("a renamed warehouse reaches exactly the shipments at its (region, code) by sync, not those sharing one column", async () => {
    await opened.sql(
      "UPDATE @warehouses SET name = name || ' North', updated_at = clock_timestamp() WHERE (region, code) IN (('eu', 1), ('us', 2))",
    );
    opened.embedder.reset();
    const summary = await syncTable(opened.dependencies, { source: pgSource, table: "shipments" });
    expect(summary).toMatchObject({ reembedded: 3, full_scan: false });
    const shipments = await records("shipments");
    const embedded = opened.embedder.texts
      .map((text) => [...shipments].find(([, record]) => record.content === text)?.[0])
      .sort();
    expect(embedded).toEqual(["1", "2", "3"]);
    expect(shipments.get("3")?.content).toBe("status: delivered\nwarehouses.name: Rotterdam Dock North");
    expect(shipments.get("2")?.content).toBe("status: in transit\nwarehouses.name: Reno Hub North");
    // eu/2 and us/1 share a column with the renamed ones: untouched.
    expect(shipments.get("4")?.content).toBe("status: packed\nwarehouses.name: Newark Yard");
    expect(shipments.get("5")?.content).toBe("status: returned\nwarehouses.name: Lyon Depot");
  });

  it("a deleted shipment leaves its warehouse's document by sync, its composite join value recorded", async () => {
    const spec = {
      text_fields: ["name"],
      watermark_column: "updated_at",
      include: [{ table: "shipments", fields: ["status"], limit: 5, order_by: "id" }],
    };
    await syncTable(opened.dependencies, { source: pgSource, table: "warehouses", spec });
    await opened.sql("DELETE FROM @shipments WHERE id = 3");
    opened.embedder.reset();
    const summary = await syncTable(opened.dependencies, { source: pgSource, table: "warehouses" });
    expect(summary).toMatchObject({ reembedded: 1, full_scan: false });
    const rotterdam = [...(await records("warehouses")).values()].find((record) =>
      record.content.startsWith("name: Rotterdam Dock North"),
    );
    expect(rotterdam?.content).toBe("name: Rotterdam Dock North\nshipments: status: packed");
    expect(opened.embedder.texts).toEqual([rotterdam?.content]);
  });
});
