import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { allTopics, ingestionRequestSchema, schemaVersion, topics } from "../../../core/messaging/index.js";
import { readSyncState } from "../../../core/sync/index.js";
import { createIngestAsyncApp } from "../../../functions/http/ingest-async.js";
import { startWorkers } from "../../../functions/local/workers.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import { consoleProduce, readTopic } from "../../support/kafka.js";
import { expectKeywordIndexInStep } from "../../support/keyword-oracle.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { waitFor } from "../../support/processes.js";
import { dropMongoCollections } from "../../support/scratch-mongo.js";
import { testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

const rows = 20_000;
const password = "chat";

describe("async ingestion over Kafka: endpoint, workers as Lambda-style consumers, status in Redis", {
  timeout: 1_800_000,
}, () => {
  const run = uniqueName("async").replace(/-/g, "_");
  const pgSource = `pg_${run}`;
  const mongoSource = `mg_${run}`;
  const collection = uniqueName("events");
  const topicPrefix = `${run}.`;
  const mongo = new MongoClient(testServices.mongoUrl);
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let workers: { stop(): Promise<void> };
  /** Requests this file put on the ingestion topic: the credential check below must have read them all. */
  let queuedRequests = 0;

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE tickets (id int PRIMARY KEY, subject text, body text);
       INSERT INTO tickets SELECT n, 'Ticket ' || n, 'Customer ' || n || ' reports that the standing desk wobbles at full height.'
         FROM generate_series(1, ${rows}) AS n;`,
    );
    await mongo.connect();
    await mongo
      .db(testServices.mongoDatabase)
      .collection(collection)
      .insertMany(
        Array.from({ length: 40 }, (_, n) => ({ title: `Event ${n}`, note: `Meetup number ${n} about databases.` })),
      );
    context = createTestContext({
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_PREFIX: run,
      REDIS_KEY_PREFIX: `${run}:`,
      EMBEDDING_GROUP_SIZE: "32",
      ALLOW_INLINE_CONNECTIONS: "true",
      SOURCES: JSON.stringify([
        { name: pgSource, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
        { name: mongoSource, kind: "mongodb", url: testServices.mongoUrl, database: testServices.mongoDatabase },
      ]),
    });
    workers = await startWorkers(context);
  });

  afterAll(async () => {
    await workers?.stop();
    await releaseRun(context, { sources: [pgSource, mongoSource], topicPrefix });
    await fixture?.drop();
    await dropMongoCollections(mongo, [collection]);
  });

  const app = () => createIngestAsyncApp(() => context);
  const queue = async (body: Record<string, unknown>) => {
    const response = await app().request("/ingest-data-async", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
    if (response.status === 202) queuedRequests++;
    return { status: response.status, body: await readJson(response) };
  };
  const statusOf = async (batchId: string) => readJson(await app().request(`/ingest-status/${batchId}`));
  const finished = async (batchId: string) => {
    await waitFor(
      async () => ["completed", "completed_with_errors", "failed"].includes((await statusOf(batchId)).status),
      1_500_000,
      "batch end",
    );
    return statusOf(batchId);
  };

  it("ingests a PostgreSQL table to completed with exact counts, and Chroma holds exactly its ids", async () => {
    const queued = await queue({ source: pgSource, table_or_collection: "tickets", text_fields: ["subject", "body"] });
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe("queued");
    const status = await finished(queued.body.batch_id);
    expect(status).toMatchObject({
      status: "completed",
      total_documents: rows,
      processed_documents: rows,
      failed_documents: 0,
      progress_percentage: 100,
      source: pgSource,
      table: "tickets",
    });
    expect(await context.vectors?.count(pgSource)).toBe(rows);
    const stored = (await context.vectors?.get(pgSource, { limit: rows }))?.map((record) => record.id).sort();
    expect(stored).toEqual(Array.from({ length: rows }, (_, index) => `${pgSource}:tickets:${index + 1}`).sort());
    // The embedding worker writes the keyword index before it reports the documents processed.
    expect(await expectKeywordIndexInStep(context, pgSource)).toBe(rows);
    // Recorded like a synchronous ingestion, so POST /sync can name only the table.
    const state = await readSyncState(context, pgSource, "tickets");
    expect(state.spec).toEqual({ text_fields: ["subject", "body"] });
    expect(state.primary_key).toEqual(["id"]);
  });

  it("ingests a MongoDB collection, and lists recent batches newest first", async () => {
    const queued = await queue({
      source: mongoSource,
      table_or_collection: collection,
      text_fields: ["title", "note"],
    });
    const status = await finished(queued.body.batch_id);
    expect(status).toMatchObject({ status: "completed", total_documents: 40, processed_documents: 40 });
    const recent = await readJson(await app().request("/recent-batches?limit=5"));
    expect(recent.batches[0].batch_id).toBe(queued.body.batch_id);
    expect(recent.batches.length).toBeGreaterThanOrEqual(2);
  });

  it("refuses bad input up front: unknown fields 400, inline params 400, unknown batch 404", async () => {
    const unknown = await queue({ source: pgSource, table_or_collection: "tickets", text_fields: ["nope"] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("'nope'");
    const inline = await queue({
      db_type: "postgresql",
      table_or_collection: "tickets",
      text_fields: ["body"],
      connection_params: { host: "127.0.0.1", database: "chat_test", user: "chat", password },
    });
    expect(inline.status).toBe(400);
    expect((await app().request("/ingest-status/0000000000000000")).status).toBe(404);
  });

  it("dead-letters a malformed message and a request for a vanished table, and keeps going", async () => {
    const brokers = testServices.kafkaBrokers;
    const ingestionTopic = `${topicPrefix}${topics.dataIngestion}`;
    await consoleProduce(brokers, ingestionTopic, ["this is not json {"]);
    // A valid request whose table is gone by the time the worker reads it (queued earlier, dropped since).
    const batchId = randomUUID();
    await context.batches.create(batchId, { source: pgSource, table: "vanished" });
    const request = ingestionRequestSchema.parse({
      schema_version: schemaVersion,
      batch_id: batchId,
      source: pgSource,
      table: "vanished",
      text_fields: ["body"],
      requested_at: new Date().toISOString(),
    });
    await consoleProduce(brokers, ingestionTopic, [JSON.stringify(request)]);
    queuedRequests++;
    const status = await finished(batchId);
    expect(status.status).toBe("failed");
    expect(status.error_message).toContain("'vanished'");

    const kafka = context.kafka;
    if (!kafka) throw new Error("kafka is configured in tests");
    const deadLetters = (await readTopic(kafka, `${ingestionTopic}.dlq`, 2)).map((value) => JSON.parse(value));
    const malformed = deadLetters.find(
      (letter) => Buffer.from(letter.value_base64, "base64").toString() === "this is not json {",
    );
    expect(malformed).toMatchObject({ topic: ingestionTopic, attempts: 1 });
    expect(malformed.error).toMatch(/invalid message/);
    const vanished = deadLetters.find((letter) => letter.error.includes("'vanished'"));
    // Not retried: a missing table is a permanent error.
    expect(vanished).toMatchObject({ topic: ingestionTopic, attempts: 1 });

    // The worker kept going: a new batch after the poison completes.
    const after = await queue({ source: mongoSource, table_or_collection: collection, text_fields: ["title"] });
    expect((await finished(after.body.batch_id)).status).toBe("completed");
  });

  it("never puts a credential on any topic", async () => {
    const kafka = context.kafka;
    if (!kafka) throw new Error("kafka is configured in tests");
    const read: Record<string, string[]> = {};
    for (const topic of allTopics) read[topic] = await readTopic(kafka, `${topicPrefix}${topic}`, 0, 20_000);
    // Not vacuous: every queued request (inline credentials included) and the work they caused were read.
    expect(queuedRequests).toBeGreaterThanOrEqual(3);
    expect(read[topics.dataIngestion]?.length ?? 0).toBeGreaterThanOrEqual(queuedRequests);
    expect(read[topics.embeddingRequests]?.length ?? 0).toBeGreaterThan(0);
    expect(read[topics.batchStatus]?.length ?? 0).toBeGreaterThan(0);
    for (const value of Object.values(read).flat()) {
      expect(value).not.toContain(`"password"`);
      expect(value).not.toContain(`:${password}@`);
      expect(value).not.toContain("postgresql://");
    }
  });
});
