import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { queueIngestion, runIngestionRequest } from "../../../core/ingest/index.js";
import {
  type EmbeddingRequestMessage,
  type IngestionRequestMessage,
  type MessagePublisher,
  topics,
} from "../../../core/messaging/index.js";
import { UnknownRelationsError } from "../../../core/relations/index.js";
import { openSyncFixture, type SyncFixture, syncNames } from "../../support/sync-fixture.js";
import { orderIncludes, shopSql } from "./shop-fixture.js";

/** Keeps what would go on Kafka, parsed by each topic's schema as the real publisher does before sending. */
function recordingPublisher() {
  const sent: { topic: string; message: unknown }[] = [];
  const publisher: MessagePublisher = {
    topic: (name) => name,
    publish: async <T>(topic: string, _key: string, schema: z.ZodType<T>, messages: readonly T[]) => {
      for (const message of messages) sent.push({ topic, message: schema.parse(message) });
    },
    publishRaw: async () => undefined,
    close: async () => undefined,
  };
  return { publisher, sent };
}

describe("async ingestion carries include on Kafka and the worker renders related rows", () => {
  const names = syncNames("rel-async");
  let opened: SyncFixture;

  beforeAll(async () => {
    opened = await openSyncFixture(names, { setupSql: shopSql, pageSize: 3 });
  });
  afterAll(async () => {
    await opened?.close();
  });

  it("checks the includes when queued, and the worker's documents hold the related lines", async () => {
    const queued = recordingPublisher();
    const request = { source: names.pgSource, table: "orders", textFields: ["status"], include: orderIncludes };
    await queueIngestion({ ...opened.context, publisher: queued.publisher }, request);
    const message = queued.sent.find((entry) => entry.topic === topics.dataIngestion)
      ?.message as IngestionRequestMessage;
    expect(message.include).toEqual(orderIncludes);

    const worker = recordingPublisher();
    await runIngestionRequest({ ...opened.context, publisher: worker.publisher }, message);
    const documents = worker.sent
      .filter((entry) => entry.topic === topics.embeddingRequests)
      .flatMap((entry) => (entry.message as EmbeddingRequestMessage).documents);
    expect(documents).toHaveLength(7);
    const ada = documents.find((document) => document.id === `${names.pgSource}:orders:100`);
    expect(ada?.text).toContain("customer.name: Ada Lovelace\ncustomer.city: London");
    expect(ada?.text).toContain("lines: quantity: 2; product.name: Kestrel Headlamp Pro");
    expect(ada?.metadata.customer_id).toBe(1);
  });

  it("refuses a bad include when queued, before anything goes on Kafka", async () => {
    const queued = recordingPublisher();
    const attempt = queueIngestion(
      { ...opened.context, publisher: queued.publisher },
      {
        source: names.pgSource,
        table: "orders",
        textFields: ["status"],
        include: [{ table: "invoices", fields: ["total"] }],
      },
    );
    await expect(attempt).rejects.toBeInstanceOf(UnknownRelationsError);
    expect(queued.sent).toEqual([]);
  });
});
