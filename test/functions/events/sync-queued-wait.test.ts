import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import type { Embedder } from "../../../core/embeddings/index.js";
import {
  deadLetterTopic,
  ensureTopics,
  type SyncRequestMessage,
  schemaVersion,
  topics,
} from "../../../core/messaging/index.js";
import {
  runSyncRequest,
  type SyncDependencies,
  SyncInProgressError,
  SyncStateStore,
  syncTable,
} from "../../../core/sync/index.js";
import { createSyncWorker } from "../../../functions/events/sync-worker.js";
import { mapError } from "../../../functions/http/shared/errors.js";
import { createTestContext } from "../../support/app-context.js";
import { readTopic } from "../../support/kafka.js";
import { mskEvent } from "../../support/lambda.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { waitFor } from "../../support/processes.js";
import { testServices, uniqueName } from "../../support/services.js";
import { expectedRecords, storedRecords } from "../../support/sync-oracle.js";
import { releaseRun } from "../../support/test-run.js";

// docs/operations.md: "a queued one waits SYNC_WAIT_SECONDS" for a running sync of the same table
// (core/sync/queue.ts runSyncRequest). Held deterministically: by the table's lock taken the way
// syncTable takes it, or by a real sync whose embedder waits on a promise the test resolves.
const waitSeconds = 2;
const table = "tickets";
const spec = { text_fields: ["body"], watermark_column: "updated_at" };
const oracle = { textFields: ["body"] };

/** The context's embedder, which, while `closed`, stops on each batch until `open()` is called. */
function gatedEmbedder(base: Embedder) {
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const gated = {
    closed: false,
    waiting: 0,
    texts: [] as string[],
    close() {
      gated.closed = true;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    open() {
      gated.closed = false;
      release();
    },
  };
  const embedder: Embedder = {
    model: base.model,
    dimension: base.dimension,
    maxTokens: base.maxTokens,
    embed: async (batch) => {
      gated.texts.push(...batch);
      if (gated.closed) {
        gated.waiting++;
        await gate;
      }
      return base.embed(batch);
    },
    countTokens: (batch) => base.countTokens(batch),
    warmUp: () => base.warmUp(),
    close: async () => undefined,
  };
  return { gated, embedder };
}

/** The shared Redis client, counting the attempts to take `lockKey` that found it taken. */
function watchedRedis(redis: Redis, lockKey: string) {
  const seen = { refused: 0 };
  const proxy = new Proxy(redis, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === "set") {
        return async (...args: unknown[]) => {
          const reply = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (args[0] === lockKey && reply !== "OK") seen.refused++;
          return reply;
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { seen, redis: proxy };
}

describe("a queued sync waits SYNC_WAIT_SECONDS for a running sync of the same table", { timeout: 60_000 }, () => {
  const run = uniqueName("syncwait").replace(/-/g, "_");
  const source = `pg_${run}`;
  const topicPrefix = `${run}.`;
  const lockKey = `${run}:sync-lock:${source}:${table}`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let state: SyncStateStore;
  let base: SyncDependencies;
  const setBody = (id: number, body: string) =>
    fixture.admin.query(
      `UPDATE ${fixture.schema}.${table} SET body = $2, updated_at = clock_timestamp() WHERE id = $1`,
      [id, body],
    );
  const message = (): SyncRequestMessage => ({
    schema_version: schemaVersion,
    sync_id: randomUUID(),
    source,
    table,
    detect_deletes: true,
    requested_at: new Date().toISOString(),
  });
  const contents = async () => (await storedRecords(context, source, table)).map((record) => record.content).sort();

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE ${table} (id int PRIMARY KEY, body text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
       INSERT INTO ${table} (id, body) SELECT n, 'Ticket ' || n || ': the printer jams on page two.' FROM generate_series(1, 6) AS n;`,
    );
    context = createTestContext({
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_PREFIX: run,
      REDIS_KEY_PREFIX: `${run}:`,
      SYNC_WAIT_SECONDS: String(waitSeconds),
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    if (!context.vectors || !context.kafka) throw new Error("tests run with Chroma and Kafka");
    base = { ...context, vectors: context.vectors };
    state = new SyncStateStore(context.redis, { prefix: `${run}:` });
    // The spec a queued sync reads, recorded by a first sync (which also warms the embedder).
    expect(await syncTable(base, { source, table, spec })).toMatchObject({ reembedded: 6, full_scan: true });
    await ensureTopics(context.kafka, 1, topicPrefix);
  }, 120_000);

  afterAll(async () => {
    await releaseRun(context, { sources: [source], topicPrefix, redisPrefix: `${run}:` });
    await fixture?.drop();
  });

  it("gives up when the wait ends: sync_in_progress (409, retryable) after SYNC_WAIT_SECONDS, nothing synced", async () => {
    await setBody(1, "Ticket 1: the scanner shows a blank page.");
    const before = await state.get(source, table);
    const holder = await state.lock(source, table, { ttlSeconds: 30 });
    expect(holder).toBeDefined();
    const watched = watchedRedis(base.redis as Redis, lockKey);
    const queued = message();
    const started = Date.now();
    let failure: unknown;
    try {
      failure = await runSyncRequest({ ...base, redis: watched.redis }, queued).then(
        () => undefined,
        (error: unknown) => error,
      );
    } finally {
      await holder?.release();
    }
    const waited = Date.now() - started;

    expect(failure).toBeInstanceOf(SyncInProgressError);
    expect(failure).toMatchObject({
      code: "sync_in_progress",
      retryable: true,
      details: { source, table },
      message: `a sync of '${table}' in source '${source}' is already running; try again when it ends`,
    });
    // What an HTTP caller of the same error is told.
    expect(mapError(failure).status).toBe(409);
    // It waited the whole SYNC_WAIT_SECONDS (trying again every 250 ms), not less and not the default 60 s.
    expect(waited).toBeGreaterThanOrEqual(waitSeconds * 1_000);
    // Gave up after its wait, not a multiple of it (the slack is for a loaded machine).
    expect(waited).toBeLessThan(2 * waitSeconds * 1_000);
    expect(watched.seen.refused).toBeGreaterThan(1);
    // Nothing ran: no run recorded under its id, no error recorded, the changed row not stored.
    const after = await state.get(source, table);
    expect(after?.last_sync_id).toBe(before?.last_sync_id ?? null);
    expect(after?.last_sync_at).toBe(before?.last_sync_at);
    expect(after?.last_error).toBeNull();
    expect(await contents()).toContain("body: Ticket 1: the printer jams on page two.");
    expect(await contents()).not.toContain("body: Ticket 1: the scanner shows a blank page.");

    // Synced once the table is free, the store equals a fresh ingestion of the rows again.
    await syncTable(base, { source, table });
    expect(await storedRecords(context, source, table)).toEqual(await expectedRecords(context, source, table, oracle));
  });

  it("runs as soon as the running sync ends within the wait, and records the run under its own sync id", async () => {
    await syncTable(base, { source, table }); // In line with the table, whatever the test before left.
    const { gated, embedder } = gatedEmbedder(context.embedder);
    await setBody(2, "Ticket 2: the toner light blinks red.");
    gated.close();
    // A real sync of the table, stopped inside its embedding while it holds the lock.
    const first = syncTable({ ...base, embedder }, { source, table });
    // However the test ends, the first sync is let go, so it never holds the table for the next test.
    onTestFinished(async () => {
      gated.open();
      await first.catch(() => undefined);
    });
    await waitFor(async () => gated.waiting === 1, 20_000, "the first sync embedding");
    expect(await context.redis?.exists(lockKey)).toBe(1);

    // Changed after the first sync read the table: only the queued one can store it.
    await setBody(3, "Ticket 3: the tray will not close.");
    const watched = watchedRedis(base.redis as Redis, lockKey);
    const queued = message();
    const second = runSyncRequest({ ...base, embedder, redis: watched.redis }, queued);
    let outcome: "pending" | "settled" = "pending";
    void second.then(
      () => {
        outcome = "settled";
      },
      () => {
        outcome = "settled";
      },
    );
    // The queued sync found the table taken at least once, and is waiting, not refused.
    await waitFor(async () => watched.seen.refused >= 1, 20_000, "the queued sync to find the table locked");
    expect(outcome).toBe("pending");

    gated.open();
    expect(await first).toMatchObject({ reembedded: 1, full_scan: false });
    // A summary, not SyncInProgressError: it took the table within its wait.
    const summary = await second;
    expect(summary).toMatchObject({ source, table, reembedded: 1, metadata_only: 0, deleted: 0, full_scan: false });
    expect(gated.texts).toEqual([
      "body: Ticket 2: the toner light blinks red.",
      "body: Ticket 3: the tray will not close.",
    ]);

    const recorded = await state.get(source, table);
    expect(recorded?.last_sync_id).toBe(queued.sync_id);
    expect(recorded?.last_error).toBeNull();
    expect(recorded?.last_result).toMatchObject({ reembedded: 1 });
    expect(await context.redis?.exists(lockKey)).toBe(0);
    expect(await storedRecords(context, source, table)).toEqual(await expectedRecords(context, source, table, oracle));
  });

  it("sync worker: each attempt waits SYNC_WAIT_SECONDS; a table still busy after 3 is dead-lettered", async () => {
    const holder = await state.lock(source, table, { ttlSeconds: 60 });
    expect(holder).toBeDefined();
    const queued = message();
    const topic = `${topicPrefix}${topics.syncRequests}`;
    const started = Date.now();
    let result: Awaited<ReturnType<ReturnType<typeof createSyncWorker>>>;
    try {
      result = await createSyncWorker(() => context)(
        mskEvent(topic, [{ partition: 0, offset: 5, key: source, value: JSON.stringify(queued) }]),
      );
    } finally {
      await holder?.release();
    }
    const elapsed = Date.now() - started;
    const reason = `SyncInProgressError: a sync of '${table}' in source '${source}' is already running; try again when it ends`;
    expect(result.outcomes).toEqual([
      { topic, partition: 0, offset: 5, status: "dead-lettered", attempts: 3, error: reason },
    ]);
    // Three waits, and the retry backoff of 200 ms and 400 ms between them.
    expect(elapsed).toBeGreaterThanOrEqual(3 * waitSeconds * 1_000 + 600);
    expect(elapsed).toBeLessThan(3 * waitSeconds * 1_000 + 600 + 3_000);

    if (!context.kafka) throw new Error("tests run with Kafka");
    const letters = (await readTopic(context.kafka, deadLetterTopic(topic), 1)).map((text) => JSON.parse(text));
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ topic, partition: 0, offset: "5", key: source, error: reason, attempts: 3 });
    expect(JSON.parse(Buffer.from(letters[0].value_base64, "base64").toString("utf8"))).toEqual(queued);
    expect((await state.get(source, table))?.last_sync_id).not.toBe(queued.sync_id);
  });
});
