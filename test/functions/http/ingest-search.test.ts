import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { EmbeddingModelMismatchError, VectorStore } from "../../../core/vectors/index.js";
import { createIngestApp } from "../../../functions/http/ingest.js";
import { createSearchApp } from "../../../functions/http/search.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { dropMongoCollections } from "../../support/scratch-mongo.js";
import { testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

const articles = [
  [
    1,
    "Resetting your password",
    "Open the sign-in page, choose Forgot password and follow the emailed link within an hour.",
  ],
  [2, "Returning an item", "Items can be sent back within 30 days; print the prepaid label from your orders page."],
  [3, "Delivery times", "Standard shipping arrives in three to five business days across mainland Europe."],
  [
    4,
    "Descaling the espresso machine",
    "Run the descaling solution through the group head every two months, then rinse twice.",
  ],
  [5, "Empty article", null],
];

describe("POST /ingest-data and POST /search, end to end on the real services", () => {
  const suffix = uniqueName("s").replace(/-/g, "_");
  const pgSource = `kb_${suffix}`;
  const mongoSource = `docs_${suffix}`;
  const mongoCollection = uniqueName("reviews");
  const mongo = new MongoClient(testServices.mongoUrl);
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE articles (id int PRIMARY KEY, title text, body text, section text DEFAULT 'help');
       CREATE TABLE notes (id int PRIMARY KEY, body text);
       INSERT INTO notes VALUES (1, 'Warehouse closes at six on Fridays.'), (2, 'Inventory count every quarter.');`,
    );
    for (const [id, title, body] of articles) {
      await fixture.admin.query(`INSERT INTO ${fixture.schema}.articles (id, title, body) VALUES ($1, $2, $3)`, [
        id,
        body === null ? null : title,
        body,
      ]);
    }
    await mongo.connect();
    await mongo
      .db(testServices.mongoDatabase)
      .collection(mongoCollection)
      .insertMany([
        {
          product: "Kestrel Headlamp",
          review: "Bright enough for night hikes and the battery lasts all weekend.",
          stars: 5,
        },
        { product: "Orbit Blender", review: "Loud, and the jar cracked after a month of smoothies.", stars: 2 },
      ]);
    context = createTestContext({
      SOURCES: JSON.stringify([
        { name: pgSource, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
        { name: mongoSource, kind: "mongodb", url: testServices.mongoUrl, database: testServices.mongoDatabase },
      ]),
    });
  });

  afterAll(async () => {
    await releaseRun(context, { sources: [pgSource, mongoSource] });
    await fixture?.drop();
    await dropMongoCollections(mongo, [mongoCollection]);
  });

  const post = async (path: string, body: unknown) => {
    const app = path === "/search" ? createSearchApp(() => context) : createIngestApp(() => context);
    const response = await app.request(path, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
    return { status: response.status, body: await readJson(response) };
  };
  const ingestArticles = () =>
    post("/ingest-data", { source: pgSource, table_or_collection: "articles", text_fields: ["title", "body"] });

  it("ingests a PostgreSQL table and finds a row by a paraphrase", async () => {
    const { status, body } = await ingestArticles();
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ source: pgSource, table: "articles", documents: 4, chunks: 4, skipped: 1, failed: 0 });
    // Filtered to this test's source: the shared Chroma may hold other collections (the samples).
    const search = await post("/search", {
      query: "I forgot my login credentials",
      max_results: 3,
      filters: { source: pgSource },
    });
    expect(search.status).toBe(200);
    expect(search.body.results[0].id).toBe(`${pgSource}:articles:1`);
    expect(search.body.results[0].metadata).toMatchObject({ source: pgSource, table: "articles", section: "help" });
    const scores = search.body.results.map((result: { relevance_score: number }) => result.relevance_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const score of scores) expect(Math.abs(score)).toBeLessThanOrEqual(1);
  });

  it("leaves the count unchanged on re-ingest and updates a changed row", async () => {
    expect(await context.vectors?.count(pgSource)).toBe(4);
    await fixture.admin.query(
      `UPDATE ${fixture.schema}.articles SET body = 'Parcels now arrive the next morning by drone.' WHERE id = 3`,
    );
    const again = await ingestArticles();
    expect(again.status).toBe(200);
    expect(await context.vectors?.count(pgSource)).toBe(4);
    const [stored] = (await context.vectors?.get(pgSource, { ids: [`${pgSource}:articles:3`] })) ?? [];
    expect(stored?.content).toContain("next morning by drone");
  });

  it("ingests a MongoDB collection and filters by source and by metadata", async () => {
    const { status, body } = await post("/ingest-data", {
      source: mongoSource,
      table_or_collection: mongoCollection,
      columns_or_fields: ["product", "stars"],
      text_fields: ["product", "review"],
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.documents).toBe(2);
    const onlyMongo = await post("/search", { query: "a lamp for camping at night", filters: { source: mongoSource } });
    expect(onlyMongo.body.results[0].metadata.product).toBe("Kestrel Headlamp");
    for (const result of onlyMongo.body.results) expect(result.metadata.source).toBe(mongoSource);
    const lowStars = await post("/search", { query: "kitchen appliance", filters: { source: mongoSource, stars: 2 } });
    expect(lowStars.body.results.map((result: { metadata: { product: string } }) => result.metadata.product)).toEqual([
      "Orbit Blender",
    ]);
    const either = await post("/search", {
      query: "anything",
      max_results: 10,
      filters: { source: { $in: [pgSource, mongoSource] }, table: "articles" },
    });
    expect(either.body.results).toHaveLength(4);
  });

  it("deletes exactly one table's documents", async () => {
    const notes = await post("/ingest-data", { source: pgSource, table_or_collection: "notes", text_fields: ["body"] });
    expect(notes.body.documents).toBe(2);
    expect(await context.vectors?.count(pgSource)).toBe(6);
    await context.vectors?.deleteTable(pgSource, "notes");
    expect(await context.vectors?.count(pgSource)).toBe(4);
    const remaining = (await context.vectors?.get(pgSource)) ?? [];
    expect(remaining.every((record) => record.metadata.table === "articles")).toBe(true);
  });

  it("answers bad requests with 400, oversized ones with 413, and refuses a model mismatch", async () => {
    const unknownField = await post("/ingest-data", {
      source: pgSource,
      table_or_collection: "articles",
      text_fields: ["nope"],
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.message).toContain("'nope'");
    expect(
      (await post("/ingest-data", { source: pgSource, table_or_collection: "articles", text_fields: [] })).status,
    ).toBe(400);
    expect((await post("/search", { query: "", max_results: 500 })).status).toBe(400);
    expect((await post("/search", { query: "x", filters: { $where: "1" } })).status).toBe(400);
    expect((await post("/search", { query: "x", filters: { $or: [{ table: "a" }, { table: "b" }] } })).status).toBe(
      400,
    );

    const small = createTestContext({
      SYNC_INGEST_MAX_ROWS: "2",
      SOURCES: JSON.stringify([
        { name: pgSource, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    try {
      const response = await createIngestApp(() => small).request("/ingest-data", {
        method: "POST",
        body: JSON.stringify({ source: pgSource, table_or_collection: "articles", text_fields: ["body"] }),
        headers: { "content-type": "application/json" },
      });
      expect(response.status).toBe(413);
      expect((await readJson(response)).error.details.use).toBe("/ingest-data-async");
    } finally {
      await small.close();
    }

    const chroma = context.chroma;
    if (!chroma) throw new Error("chroma is configured in tests");
    const otherModel = new VectorStore(chroma, { model: "Xenova/all-MiniLM-L6-v2", dimension: 768 });
    await expect(otherModel.count(pgSource)).rejects.toBeInstanceOf(EmbeddingModelMismatchError);
  });
});

describe("Chroma being down", () => {
  it("answers /search with 503 naming the vector store, not a 500", async () => {
    const context = createTestContext({ CHROMA_URL: "http://127.0.0.1:1" });
    try {
      const response = await createSearchApp(() => context).request("/search", {
        method: "POST",
        body: JSON.stringify({ query: "anything", filters: { source: "samples" } }),
        headers: { "content-type": "application/json" },
      });
      expect(response.status).toBe(503);
      const body = await readJson(response);
      expect(body.error.details.component).toBe("vector_store");
      expect(JSON.stringify(body)).not.toContain("127.0.0.1");
    } finally {
      await context.close();
    }
  });
});
