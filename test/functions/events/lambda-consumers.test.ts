import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import {
  type BatchStatusEvent,
  deadLetterTopic,
  ensureTopics,
  schemaVersion,
  topics,
} from "../../../core/messaging/index.js";
import { createCdcConsumer } from "../../../functions/events/cdc-consumer.js";
import { createEmbeddingWorker } from "../../../functions/events/embedding-worker.js";
import { createIngestionWorker } from "../../../functions/events/ingestion-worker.js";
import { createStatusConsumer } from "../../../functions/events/status-consumer.js";
import { createSyncWorker } from "../../../functions/events/sync-worker.js";
import { createTestContext } from "../../support/app-context.js";
import { readTopic } from "../../support/kafka.js";
import { type KafkaRecordInput, mskEvent } from "../../support/lambda.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

const at = "2026-11-24T02:00:00.000Z";
const traceHeaders = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" };

describe("each Kafka consumer handles Lambda's Kafka event shape (several partitions, base64, headers)", {
  timeout: 180_000,
}, () => {
  const run = uniqueName("lambdakafka").replace(/-/g, "_");
  const source = `pg_${run}`;
  const topicPrefix = `${run}.`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE faq (id int PRIMARY KEY, question text, answer text);
       INSERT INTO faq SELECT n, 'Question ' || n, 'Answer number ' || n || ' about shipping times.'
         FROM generate_series(1, 12) AS n;`,
    );
    context = createTestContext({
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_PREFIX: run,
      REDIS_KEY_PREFIX: `${run}:`,
      EMBEDDING_GROUP_SIZE: "5",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    if (!context.kafka) throw new Error("tests run with Kafka");
    await ensureTopics(context.kafka, 2, topicPrefix);
  });

  afterAll(async () => {
    await releaseRun(context, { sources: [source], topicPrefix });
    await fixture?.drop();
  });

  const topic = (name: string) => `${topicPrefix}${name}`;
  const kafka = () => {
    if (!context.kafka) throw new Error("tests run with Kafka");
    return context.kafka;
  };
  const vectors = () => {
    if (!context.vectors) throw new Error("tests run with Chroma");
    return context.vectors;
  };
  const json = (value: unknown) => JSON.stringify(value);

  it("status consumer: events spread over two partitions add up in Redis; a poison record is dead-lettered", async () => {
    const batchId = randomUUID();
    await context.batches.create(batchId, { source, table: "faq" });
    const event = (body: Record<string, unknown>) =>
      json({ schema_version: schemaVersion, batch_id: batchId, at, ...body });
    const records: KafkaRecordInput[] = [
      { partition: 0, offset: 40, key: batchId, value: event({ type: "started" }), headers: traceHeaders },
      { partition: 0, offset: 41, key: batchId, value: event({ type: "total", total: 3 }) },
      { partition: 1, offset: 7, key: batchId, value: event({ type: "processed", ids: ["a", "b"] }) },
      { partition: 1, offset: 8, key: batchId, value: Buffer.from([0xff, 0xfe, 0x00]), headers: traceHeaders },
      { partition: 1, offset: 9, key: batchId, value: event({ type: "processed", ids: ["c"] }) },
    ];
    const result = await createStatusConsumer(() => context)(mskEvent(topic(topics.batchStatus), records));

    expect(result.outcomes.map((outcome) => [outcome.partition, outcome.offset, outcome.status])).toEqual([
      [0, 40, "ok"],
      [0, 41, "ok"],
      [1, 7, "ok"],
      [1, 8, "dead-lettered"],
      [1, 9, "ok"],
    ]);
    expect(await context.batches.get(batchId)).toMatchObject({
      status: "completed",
      total_documents: 3,
      processed_documents: 3,
    });
    const [dead] = await readTopic(kafka(), deadLetterTopic(topic(topics.batchStatus)), 1);
    expect(JSON.parse(dead ?? "{}")).toMatchObject({ partition: 1, offset: "8", value_base64: "//4A" });
  });

  it("ingestion worker: a request from an MSK event streams the table into embedding-requests groups", async () => {
    const batchId = randomUUID();
    await context.batches.create(batchId, { source, table: "faq" });
    const request = {
      schema_version: schemaVersion,
      batch_id: batchId,
      source,
      table: "faq",
      text_fields: ["question", "answer"],
      requested_at: at,
    };
    const result = await createIngestionWorker(() => context)(
      mskEvent(topic(topics.dataIngestion), [
        { partition: 1, offset: 3, key: source, value: json(request), headers: traceHeaders },
      ]),
    );
    expect(result.outcomes).toMatchObject([{ status: "ok", partition: 1, offset: 3 }]);

    const groups = (await readTopic(kafka(), topic(topics.embeddingRequests), 3))
      .map((value) => JSON.parse(value) as { batch_id: string; documents: { id: string }[] })
      .filter((group) => group.batch_id === batchId);
    expect(groups.map((group) => group.documents.length).sort()).toEqual([2, 5, 5]);
    expect(new Set(groups.flatMap((group) => group.documents.map((document) => document.id))).size).toBe(12);
  });

  it("embedding worker: groups from two partitions are embedded, stored and reported", async () => {
    const batchId = randomUUID();
    const group = (index: number, ids: number[]) =>
      json({
        schema_version: schemaVersion,
        batch_id: batchId,
        source,
        table: "faq",
        group: index,
        documents: ids.map((id) => ({
          id: `${source}:faq:${id}`,
          text: `question: Question ${id}\nanswer: Answer number ${id} about shipping times.`,
          metadata: { source, table: "faq", row_key: String(id) },
        })),
      });
    const result = await createEmbeddingWorker(() => context)(
      mskEvent(topic(topics.embeddingRequests), [
        { partition: 0, offset: 0, key: batchId, value: group(0, [1, 2, 3]), headers: traceHeaders },
        { partition: 1, offset: 0, key: batchId, value: group(1, [4, 5]) },
      ]),
    );
    expect(result.outcomes.every((outcome) => outcome.status === "ok")).toBe(true);
    const stored = await vectors().count(source);
    expect(stored).toBe(5);

    const reported = (await readTopic(kafka(), topic(topics.batchStatus), 2))
      .map((value) => JSON.parse(value) as BatchStatusEvent)
      .filter((event) => event.batch_id === batchId && event.type === "processed")
      .flatMap((event) => (event.type === "processed" ? event.ids : []));
    expect(reported.sort()).toEqual([1, 2, 3, 4, 5].map((id) => `${source}:faq:${id}`).sort());
  });

  it("every consumer dead-letters a poison record from a Lambda event and handles the rest of it", async () => {
    const consumers = [
      { name: "status-consumer", topic: topics.batchStatus, create: createStatusConsumer },
      { name: "ingestion-worker", topic: topics.dataIngestion, create: createIngestionWorker },
      { name: "embedding-worker", topic: topics.embeddingRequests, create: createEmbeddingWorker },
      { name: "sync-worker", topic: topics.syncRequests, create: createSyncWorker },
      { name: "cdc-consumer", topic: topics.cdcEvents, create: createCdcConsumer },
    ];
    // A tombstone names no rows to change: valid, and nothing to apply. The status consumer gets a bare batch event.
    const harmless = (name: string) =>
      name === "cdc-consumer"
        ? null
        : json({ schema_version: schemaVersion, batch_id: randomUUID(), at, type: "started" });
    for (const [index, consumer] of consumers.entries()) {
      const offset = 900 + index;
      const records: KafkaRecordInput[] = [
        { partition: 1, offset, key: "poison", value: Buffer.from([0xff, 0xfe, 0x00]), headers: traceHeaders },
      ];
      if (consumer.name === "status-consumer" || consumer.name === "cdc-consumer") {
        records.push({ partition: 0, offset: offset + 100, key: "fine", value: harmless(consumer.name) });
      }
      const result = await consumer.create(() => context)(mskEvent(topic(consumer.topic), records));
      expect(
        result.outcomes.map((outcome) => [outcome.offset, outcome.status]),
        consumer.name,
      ).toEqual(records.map((record) => [record.offset, record.key === "poison" ? "dead-lettered" : "ok"]));
      const letters = (await readTopic(kafka(), deadLetterTopic(topic(consumer.topic)), 1)).map(
        (value) => JSON.parse(value) as { offset: string; value_base64: string },
      );
      expect(
        letters.find((letter) => letter.offset === String(offset)),
        consumer.name,
      ).toMatchObject({
        partition: 1,
        value_base64: "//4A",
      });
    }
  });
});
