import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../core/context/index.js";
import { createIngestAsyncApp } from "../../functions/http/ingest-async.js";
import { startWorkers } from "../../functions/local/workers.js";
import { createTestContext } from "../support/app-context.js";
import { readJson } from "../support/http.js";
import { createPostgresFixture } from "../support/postgres-fixture.js";
import { type PrivateService, privateService } from "../support/private-service.js";
import { waitFor } from "../support/processes.js";
import { testServices, uniqueName } from "../support/services.js";
import { releaseRun } from "../support/test-run.js";

const rows = 800;
/** The observed point the fault is driven from: this many documents reported processed. */
const beforeFault = 100;

describe("the Kafka broker restarted in the middle of an async batch", { timeout: 420_000 }, () => {
  const run = uniqueName("kafkarestart").replace(/-/g, "_");
  const source = `pg_${run}`;
  let kafka: PrivateService;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let workers: { stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    kafka = await privateService("kafka");
    await kafka.up();
    fixture = await createPostgresFixture(
      `CREATE TABLE tickets (id int PRIMARY KEY, body text);
       INSERT INTO tickets SELECT n, 'Ticket ' || n || ': the invoice total does not match the order.'
         FROM generate_series(1, ${rows}) AS n;`,
    );
    context = createTestContext({
      KAFKA_BROKERS: kafka.url,
      KAFKA_GROUP_PREFIX: run,
      REDIS_KEY_PREFIX: `${run}:`,
      EMBEDDING_GROUP_SIZE: "10",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    workers = await startWorkers(context);
  });

  afterAll(async () => {
    await workers?.stop();
    await releaseRun(context, { sources: [source] });
    await fixture?.drop();
    await kafka?.destroy();
  });

  it(`completes the batch with exact counts when the broker restarts after ${beforeFault} documents`, async () => {
    const queued = await createIngestAsyncApp(() => context).request("/ingest-data-async", {
      method: "POST",
      body: JSON.stringify({ source, table_or_collection: "tickets", text_fields: ["body"] }),
      headers: { "content-type": "application/json" },
    });
    expect(queued.status).toBe(202);
    const { batch_id } = await readJson(queued);
    const status = async () =>
      readJson(await createIngestAsyncApp(() => context).request(`/ingest-status/${batch_id}`));

    await waitFor(
      async () => (await status()).processed_documents >= beforeFault,
      120_000,
      `${beforeFault} documents processed`,
    );
    await kafka.down();
    // Progress reaches Redis only through batch-status: with the broker stopped it can no longer
    // move far, so a count below the total here means the rest must go through the restarted broker.
    const atFault = await status();
    expect(atFault.processed_documents).toBeGreaterThanOrEqual(beforeFault);
    expect(atFault.processed_documents).toBeLessThan(rows);
    expect(await context.vectors?.count(source)).toBeGreaterThanOrEqual(beforeFault);
    console.info(`kafka restart: ${atFault.processed_documents} of ${rows} documents processed at the fault`);
    await kafka.up();

    await waitFor(
      async () => ["completed", "completed_with_errors", "failed"].includes((await status()).status),
      300_000,
      "batch finished",
    );
    expect(await status()).toMatchObject({
      status: "completed",
      total_documents: rows,
      processed_documents: rows,
      failed_documents: 0,
    });
    // No loss and no duplicates: redelivered embedding requests re-upsert the same ids.
    expect(await context.vectors?.count(source)).toBe(rows);
    const ids = new Set((await context.vectors?.get(source, { limit: rows + 10 }))?.map((record) => record.id));
    expect(ids.size).toBe(rows);
    for (let id = 1; id <= rows; id++) expect(ids.has(`${source}:tickets:${id}`)).toBe(true);
  });
});
