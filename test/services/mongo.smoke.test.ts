import { ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMongoClient } from "../../core/sources/index.js";
import { dropMongoCollections } from "../support/scratch-mongo.js";
import { assertTestDatabase, testServices, uniqueName } from "../support/services.js";

describe("the MongoDB-wire server (FerretDB from npm run services)", () => {
  assertTestDatabase(testServices.mongoDatabase);
  const client = createMongoClient(testServices.mongoUrl);
  const collectionName = uniqueName("smoke");

  beforeAll(() => client.connect());
  afterAll(async () => {
    await dropMongoCollections(client, [collectionName]);
  });

  it("answers ping through the official driver", async () => {
    const reply = await client.db("admin").command({ ping: 1 });
    expect(reply.ok).toBe(1);
  });

  it("stores and streams documents with ObjectId, Date, nested documents and arrays", async () => {
    const collection = client.db(testServices.mongoDatabase).collection(collectionName);
    const id = new ObjectId();
    const when = new Date("2026-01-02T03:04:05.678Z");
    await collection.insertMany([
      { _id: id, name: "first", created: when, address: { city: "Lyon", zip: "69001" }, tags: ["a", "b"] },
      ...Array.from({ length: 20 }, (_, index) => ({ name: `doc ${index}`, rank: index })),
    ]);
    const first = await collection.findOne({ _id: id }, { projection: { name: 1, created: 1, address: 1, tags: 1 } });
    expect(first?.created).toEqual(when);
    expect(first?.address).toEqual({ city: "Lyon", zip: "69001" });
    expect(first?.tags).toEqual(["a", "b"]);
    let streamed = 0;
    for await (const _document of collection.find({}, { batchSize: 5 })) streamed++;
    expect(streamed).toBe(21);
    expect(await collection.countDocuments()).toBe(21);
  });
});
