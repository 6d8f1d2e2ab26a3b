import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MongoClient, ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { ingestTable } from "../../../core/ingest/index.js";
import { UnknownRelationsError } from "../../../core/relations/index.js";
import { createTestContext } from "../../support/app-context.js";
import { dropMongoCollections } from "../../support/scratch-mongo.js";
import { testServices, uniqueName } from "../../support/services.js";
import { storedRecords } from "../../support/sync-oracle.js";

describe("join-aware ingestion with explicit keys on CSV and the MongoDB-wire server", () => {
  const run = uniqueName("rel").replace(/-/g, "_");
  const csvSource = `rel_csv_${run}`;
  const mongoSource = `rel_mg_${run}`;
  const collections = { customers: `${run}_customers`, orders: `${run}_orders`, lines: `${run}_lines` };
  const root = mkdtempSync(path.join(tmpdir(), "rel-"));
  const mongo = new MongoClient(testServices.mongoUrl);
  let context: AppContext;
  const ada = new ObjectId();
  const grace = new ObjectId();

  beforeAll(async () => {
    mkdirSync(path.join(root, "shop"));
    const write = (name: string, lines: string[]) =>
      writeFileSync(path.join(root, "shop", name), `${lines.join("\n")}\n`);
    write("customers.csv", ["id,name,city", "1,Ada Lovelace,London", "2,Grace Hopper,Arlington"]);
    write("products.csv", [
      "id,name",
      "10,Orbit Standing Desk Max",
      "11,Kestrel Headlamp Pro",
      "12,Solace Kettle Mini",
    ]);
    write("orders.csv", ["id,customer_id,status", "100,1,shipped", "101,2,delivered", "102,9,lost"]);
    write("order_lines.csv", [
      "id,order_id,line_no,product_id,quantity",
      "1,100,2,11,2",
      "2,100,1,10,1",
      "3,100,3,12,4",
      "4,101,1,12,1",
    ]);
    await mongo.connect();
    const database = mongo.db(testServices.mongoDatabase);
    await database.collection(collections.customers).insertMany([
      { _id: ada, name: "Ada Lovelace", address: { city: "London" } },
      { _id: grace, name: "Grace Hopper", address: { city: "Arlington" } },
    ]);
    await database.collection(collections.orders).insertMany([
      { _id: "o-1" as never, customer: ada, status: "shipped" },
      { _id: "o-2" as never, customer: grace, status: "delivered" },
    ]);
    await database.collection(collections.lines).insertMany([
      { order: "o-1", position: 2, item: "headlamp" },
      { order: "o-1", position: 1, item: "standing desk" },
      { order: "o-2", position: 1, item: "kettle" },
    ]);
    context = createTestContext({
      DATA_DIR: root,
      SOURCES: JSON.stringify([
        { name: csvSource, kind: "csv", path: "shop" },
        { name: mongoSource, kind: "mongodb", url: testServices.mongoUrl, database: testServices.mongoDatabase },
      ]),
    });
  });

  afterAll(async () => {
    await context?.vectors?.deleteSource(csvSource);
    await context?.vectors?.deleteSource(mongoSource);
    await context?.close();
    await dropMongoCollections(mongo, Object.values(collections));
    rmSync(root, { recursive: true, force: true });
  });

  const vectors = () => {
    if (!context.vectors) throw new Error("chroma is configured in tests");
    return context.vectors;
  };

  it("renders CSV relations: many-to-one by the related key, one-to-many with its limit and a chained product", async () => {
    const summary = await ingestTable(
      { ...context, vectors: vectors() },
      {
        source: csvSource,
        table: "orders.csv",
        textFields: ["status"],
        include: [
          { table: "customers.csv", local_field: "customer_id", foreign_field: "id", fields: ["name"] },
          {
            table: "order_lines.csv",
            label: "lines",
            local_field: "id",
            foreign_field: "order_id",
            fields: ["quantity"],
            limit: 2,
            order_by: "line_no",
            include: [{ table: "products.csv", local_field: "product_id", foreign_field: "id", fields: ["name"] }],
          },
        ],
      },
    );
    expect(summary.documents).toBe(3);
    const byId = new Map((await storedRecords(context, csvSource, "orders.csv")).map((record) => [record.id, record]));
    expect(byId.get(`${csvSource}:orders.csv:100`)?.content).toBe(
      [
        "status: shipped",
        "customer.name: Ada Lovelace",
        "lines: quantity: 1; product.name: Orbit Standing Desk Max",
        "lines: quantity: 2; product.name: Kestrel Headlamp Pro",
      ].join("\n"),
    );
    expect(byId.get(`${csvSource}:orders.csv:100`)?.metadata).toMatchObject({ customer_id: "1" });
    // A key with no related row renders nothing for it.
    expect(byId.get(`${csvSource}:orders.csv:102`)?.content).toBe("status: lost");
  });

  it("asks for explicit keys where there is no catalogue, naming each problem", async () => {
    const error = await ingestTable(
      { ...context, vectors: vectors() },
      {
        source: csvSource,
        table: "orders.csv",
        textFields: ["status"],
        include: [
          { table: "customers.csv", fields: ["name"] },
          { table: "customers.csv", local_field: "client", foreign_field: "id", fields: ["name"] },
        ],
      },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownRelationsError);
    expect((error as UnknownRelationsError).problems).toEqual([
      { include: "customers.csv", problem: "csv has no catalogue of relations: give local_field and foreign_field" },
      {
        include: "customers.csv",
        problem: "unknown local_field 'client' in 'orders.csv'",
        candidates: ["id", "customer_id", "status"],
      },
    ]);
  });

  it("renders MongoDB relations through ObjectId keys and nested fields", async () => {
    await ingestTable(
      { ...context, vectors: vectors() },
      {
        source: mongoSource,
        table: collections.orders,
        textFields: ["status"],
        include: [
          {
            table: collections.customers,
            label: "customer",
            local_field: "customer",
            foreign_field: "_id",
            fields: ["name", "address.city"],
          },
          {
            table: collections.lines,
            label: "lines",
            local_field: "_id",
            foreign_field: "order",
            fields: ["item"],
            order_by: "position",
          },
        ],
      },
    );
    const byId = new Map(
      (await storedRecords(context, mongoSource, collections.orders)).map((record) => [record.id, record]),
    );
    expect(byId.get(`${mongoSource}:${collections.orders}:o-1`)?.content).toBe(
      [
        "status: shipped",
        "customer.name: Ada Lovelace",
        "customer.address.city: London",
        "lines: item: standing desk",
        "lines: item: headlamp",
      ].join("\n"),
    );
    expect(byId.get(`${mongoSource}:${collections.orders}:o-2`)?.metadata).toMatchObject({
      customer: grace.toHexString(),
    });
  });
});
