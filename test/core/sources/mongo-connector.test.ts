import { Decimal128, Double, Int32, Long, MongoClient, ObjectId, UUID } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MongoConnector,
  mongoFilter,
  resolveSelection,
  rowFilterSchema,
  rowToDocument,
  SourceUnavailableError,
  TableNotFoundError,
  toMetadataValue,
} from "../../../core/sources/index.js";
import { dropMongoCollections } from "../../support/scratch-mongo.js";
import { assertTestDatabase, testServices, uniqueName } from "../../support/services.js";

describe("MongoConnector on the MongoDB-wire server", () => {
  assertTestDatabase(testServices.mongoDatabase);
  const collection = uniqueName("products");
  const client = new MongoClient(testServices.mongoUrl);
  const connector = new MongoConnector(
    { name: "mongotest", kind: "mongodb", url: testServices.mongoUrl, database: testServices.mongoDatabase },
    { sampleSize: 100 },
  );
  const ids = [new ObjectId(), new ObjectId(), new ObjectId()];

  beforeAll(async () => {
    await client.connect();
    await client
      .db(testServices.mongoDatabase)
      .collection(collection)
      .insertMany([
        {
          _id: ids[0],
          name: "Desk",
          description: "A standing desk",
          created: new Date("2026-02-03T04:05:06.789Z"),
          dimensions: { width: 140, depth: 70 },
          tags: ["office", "furniture"],
          stock: Long.fromString("9007199254740993"),
        },
        { _id: ids[1], name: "Lamp", description: "A desk lamp", dimensions: { width: 20 }, tags: [] },
        { _id: ids[2], name: "Chair" },
      ]);
  });
  afterAll(async () => {
    await dropMongoCollections(client, [collection]);
    await connector.close();
  });

  it("infers fields from a sample: nested paths, types seen and how often each appears", async () => {
    const schema = await connector.describe(collection);
    expect(schema.primaryKey).toEqual(["_id"]);
    // From $collStats, not a count that reads every document.
    expect(schema.rowEstimate).toBe(3);
    const byName = Object.fromEntries(schema.columns.map((column) => [column.name, column]));
    expect(byName._id).toMatchObject({ type: "objectid", presence: 1 });
    expect(byName.created).toMatchObject({ type: "date", presence: 0.333, nullable: true });
    expect(byName["dimensions.width"]).toMatchObject({ type: "number", presence: 0.667 });
    expect(byName.tags?.type).toBe("array");
    expect(byName.stock?.type).toMatch(/long|number/);
    await expect(connector.describe("no_such_collection")).rejects.toBeInstanceOf(TableNotFoundError);
  });

  it("streams with a projection into documents with ObjectId ids and safe metadata", async () => {
    const schema = await connector.describe(collection);
    const selection = resolveSelection("mongotest", schema, {
      fields: ["name", "created", "dimensions.width", "tags", "stock"],
      textFields: ["name", "description"],
    });
    const documents = [];
    for await (const row of connector.stream({ table: collection, fields: selection.readFields, batchSize: 2 })) {
      documents.push(rowToDocument(row, { source: "mongotest", table: collection, ...selection }));
    }
    expect(documents.map((document) => document.id).sort()).toEqual(
      ids.map((id) => `mongotest:${collection}:${id.toHexString()}`).sort(),
    );
    const desk = documents.find((document) => document.id.endsWith(ids[0]?.toHexString() ?? "?"));
    expect(desk?.text).toBe("name: Desk\ndescription: A standing desk");
    expect(desk?.metadata).toMatchObject({
      _id: ids[0]?.toHexString(),
      created: "2026-02-03T04:05:06.789Z",
      "dimensions.width": 140,
      tags: '["office","furniture"]',
      stock: "9007199254740993",
    });
    const chair = documents.find((document) => document.id.endsWith(ids[2]?.toHexString() ?? "?"));
    expect(chair?.metadata).not.toHaveProperty("created");
    expect(chair?.text).toBe("name: Chair");
  });

  it("filters with structured operators only", async () => {
    expect(await connector.count(collection, [{ column: "name", op: "in", value: ["Desk", "Lamp"] }])).toBe(2);
    expect(await connector.count(collection, [{ column: "dimensions.width", op: "gt", value: 100 }])).toBe(1);
    expect(mongoFilter([{ column: "name", op: "eq", value: "x" }])).toEqual({ name: { $eq: "x" } });
    // Operator objects cannot be smuggled in as values, and operator names are not columns.
    expect(rowFilterSchema.safeParse({ column: "name", op: "eq", value: { $where: "sleep(1000)" } }).success).toBe(
      false,
    );
    expect(rowFilterSchema.safeParse({ column: "name", op: "$where", value: "1" }).success).toBe(false);
    expect(() => mongoFilter([{ column: "$where", op: "eq", value: "1" }])).toThrow();
  });

  it("reports an unreachable server as unavailable", async () => {
    const down = new MongoConnector(
      { name: "down", kind: "mongodb", url: "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500", database: "x_test" },
      { sampleSize: 10 },
    );
    await expect(down.listTables()).rejects.toBeInstanceOf(SourceUnavailableError);
    await down.close();
  });
});

describe("BSON values as metadata (built with the bson package: the MongoDB-wire server here cannot store Decimal128)", () => {
  it("keeps Decimal128, Long, Int32, Double, UUID and ObjectId exact", () => {
    expect(toMetadataValue(Decimal128.fromString("12345678901234567890.123456789"))).toBe(
      "12345678901234567890.123456789",
    );
    expect(toMetadataValue(Long.fromString("9223372036854775807"))).toBe("9223372036854775807");
    expect(toMetadataValue(Long.fromNumber(42))).toBe(42);
    expect(toMetadataValue(new Int32(7))).toBe(7);
    expect(toMetadataValue(new Double(2.5))).toBe(2.5);
    expect(toMetadataValue(new UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))).toBe(
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    );
    const id = new ObjectId("65a1b2c3d4e5f60718293a4b");
    expect(toMetadataValue(id)).toBe("65a1b2c3d4e5f60718293a4b");
    expect(toMetadataValue({ price: Decimal128.fromString("9.99"), at: new Date(0), id })).toBe(
      '{"price":"9.99","at":"1970-01-01T00:00:00.000Z","id":"65a1b2c3d4e5f60718293a4b"}',
    );
    expect(toMetadataValue(Number.NaN)).toBe("NaN");
    expect(toMetadataValue(null)).toBeUndefined();
  });
});
