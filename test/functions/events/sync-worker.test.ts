import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { SyncStateStore } from "../../../core/sync/index.js";
import { createSyncApp } from "../../../functions/http/sync.js";
import { startWorkers } from "../../../functions/local/workers.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { waitFor } from "../../support/processes.js";
import { testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

describe("POST /sync/{source} with async: true, through Kafka to the sync worker", { timeout: 120_000 }, () => {
  const run = uniqueName("syncq").replace(/-/g, "_");
  const source = `pg_${run}`;
  const topicPrefix = `${run}.`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let workers: { stop(): Promise<void> };

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE tickets (id int PRIMARY KEY, body text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
       INSERT INTO tickets (id, body) SELECT n, 'Ticket ' || n || ': the printer jams on page two.' FROM generate_series(1, 30) AS n;`,
    );
    context = createTestContext({
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_PREFIX: run,
      REDIS_KEY_PREFIX: `${run}:`,
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    workers = await startWorkers(context, ["sync-worker"]);
  });

  afterAll(async () => {
    await workers?.stop();
    await releaseRun(context, { sources: [source], topicPrefix, redisPrefix: `${run}:` });
    await fixture?.drop();
  });

  it("queues the sync, and the worker syncs the table and records the run under the sync id", async () => {
    const response = await createSyncApp(() => context).request(`/sync/${source}`, {
      method: "POST",
      body: JSON.stringify({ table: "tickets", text_fields: ["body"], watermark_column: "updated_at", async: true }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(202);
    const queued = await readJson(response);
    expect(queued.status).toBe("queued");

    const state = new SyncStateStore(context.redis, { prefix: `${run}:` });
    await waitFor(
      async () => (await state.get(source, "tickets"))?.last_sync_id === queued.sync_id,
      90_000,
      "sync run",
    );
    const recorded = await state.get(source, "tickets");
    expect(recorded?.last_error).toBeNull();
    expect(recorded?.last_result).toMatchObject({ changed: 30, reembedded: 30, deleted: 0, full_scan: true });
    expect(await context.vectors?.count(source)).toBe(30);
  });

  it("checks an async request before queueing it: a bad field is a 400, nothing is sent", async () => {
    const response = await createSyncApp(() => context).request(`/sync/${source}`, {
      method: "POST",
      body: JSON.stringify({ table: "tickets", text_fields: ["nope"], async: true }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
  });
});
