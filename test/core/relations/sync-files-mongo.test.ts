import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncTable } from "../../../core/sync/index.js";
import { createTestContext } from "../../support/app-context.js";
import { testServices } from "../../support/services.js";
import { openSyncFixture, type SyncFixture, syncNames } from "../../support/sync-fixture.js";
import { countingEmbedder, storedRecords } from "../../support/sync-oracle.js";

describe("sync of related rows with explicit keys: the MongoDB-wire server by watermark, CSV by hash", () => {
  const names = syncNames("rel-syncmg");
  const { mongoSource } = names;
  const customers = `${names.collection}-customers`;
  const orders = `${names.collection}-orders`;
  const ada = new ObjectId();
  const grace = new ObjectId();
  const root = mkdtempSync(path.join(tmpdir(), "rel-sync-"));
  const csvSource = `rel_csv_${names.run}`;
  let opened: SyncFixture;

  beforeAll(async () => {
    opened = await openSyncFixture(names, { setupSql: "", pageSize: 2 });
    const database = opened.mongo.db(testServices.mongoDatabase);
    const at = new Date("2026-11-01T10:00:00Z");
    await database.collection(customers).insertMany([
      { _id: ada, name: "Ada Lovelace", updated_at: at },
      { _id: grace, name: "Grace Hopper", updated_at: at },
    ]);
    await database.collection(orders).insertMany(
      [ada, grace, ada, grace, grace].map((customer, index) => ({
        _id: `o-${index + 1}` as never,
        customer,
        status: "shipped",
        updated_at: at,
      })),
    );
    mkdirSync(path.join(root, "shop"));
  });
  afterAll(async () => {
    const database = opened?.mongo.db(testServices.mongoDatabase);
    await database
      ?.collection(customers)
      .drop()
      .catch(() => undefined);
    await database
      ?.collection(orders)
      .drop()
      .catch(() => undefined);
    await opened?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("re-embeds only the renamed customer's orders, found through their ObjectId keys", async () => {
    const spec = {
      text_fields: ["status"],
      watermark_column: "updated_at",
      include: [
        { table: customers, label: "customer", local_field: "customer", foreign_field: "_id", fields: ["name"] },
      ],
    };
    const first = await syncTable(opened.dependencies, { source: mongoSource, table: orders, spec });
    expect(first.reembedded).toBe(5);
    await opened.mongo
      .db(testServices.mongoDatabase)
      .collection(customers)
      .updateOne({ _id: grace }, { $set: { name: "Grace B. Hopper", updated_at: new Date("2026-11-02T10:00:00Z") } });
    opened.embedder.reset();
    const summary = await syncTable(opened.dependencies, { source: mongoSource, table: orders });
    expect(summary).toMatchObject({ full_scan: false, reembedded: 3 });
    const stored = await storedRecords(opened.context, mongoSource, orders);
    const renamed = stored.filter((record) => record.content.includes("customer.name: Grace B. Hopper"));
    expect(renamed.map((record) => record.id.split(":").at(-1)).sort()).toEqual(["o-2", "o-4", "o-5"]);
    expect(opened.embedder.texts.sort()).toEqual(renamed.map((record) => record.content).sort());
  });

  it("re-embeds the CSV orders whose customer changed in the file, by hash, and no other", async () => {
    const write = (name: string, lines: string[]) =>
      writeFileSync(path.join(root, "shop", name), `${lines.join("\n")}\n`);
    write("customers.csv", ["id,name", "1,Ada Lovelace", "2,Grace Hopper"]);
    write("orders.csv", ["id,customer_id,status", "1,1,shipped", "2,2,shipped", "3,1,delivered"]);
    const context = createTestContext({
      DATA_DIR: root,
      REDIS_KEY_PREFIX: `${names.run}:`,
      SOURCES: JSON.stringify([{ name: csvSource, kind: "csv", path: "shop" }]),
    });
    try {
      const vectors = context.vectors;
      if (!vectors) throw new Error("chroma is configured in tests");
      const embedder = countingEmbedder(context.embedder);
      const dependencies = { ...context, vectors, embedder };
      const spec = {
        text_fields: ["status"],
        include: [{ table: "customers.csv", local_field: "customer_id", foreign_field: "id", fields: ["name"] }],
      };
      await syncTable(dependencies, { source: csvSource, table: "orders.csv", spec });
      write("customers.csv", ["id,name", "1,Ada King", "2,Grace Hopper"]);
      embedder.reset();
      const summary = await syncTable(dependencies, { source: csvSource, table: "orders.csv" });
      expect(summary).toMatchObject({ full_scan: true, reembedded: 2, unchanged: 1 });
      expect(embedder.texts.sort()).toEqual([
        "status: delivered\ncustomer.name: Ada King",
        "status: shipped\ncustomer.name: Ada King",
      ]);
    } finally {
      await context.vectors?.deleteSource(csvSource);
      await context.close();
    }
  });
});
