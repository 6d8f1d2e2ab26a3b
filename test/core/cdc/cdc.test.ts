import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { topics } from "../../../core/messaging/index.js";
import { CdcTestRun } from "../../support/cdc-run.js";
import { type PrivateService, privateKafkaConnect } from "../../support/private-service.js";
import { waitFor } from "../../support/processes.js";
import { storedRecords } from "../../support/sync-oracle.js";

const spec = { textFields: ["title", "body"], fields: ["price", "category"] };
// Small chunks, so a long body is stored as several vectors and a delete must remove them all.
const longBody = (id: number) =>
  Array.from({ length: 12 }, (_, i) => `Paragraph ${i} of item ${id} describes oak, brass and linen in detail.`).join(
    " ",
  );

describe("change data capture: Debezium on Kafka Connect → cdc-consumer → Chroma", () => {
  const run = new CdcTestRun("cdc", "cdc");
  const { runId, source, sql, status } = run;
  let context: AppContext;
  let embedder: CdcTestRun["embedder"];
  const stored = () => storedRecords(context, source, "items");
  const storedIds = async (id: number) =>
    (await stored()).filter((record) => record.metadata.row_key === String(id)).map((record) => record.id);
  const converged = (timeoutMs: number) => run.converged("items", spec, timeoutMs, { keywordIndex: true });

  // Its own broker and Connect worker: the restart test stops Connect, which must not disturb the
  // connectors other tests run on the shared one.
  let kafka: PrivateService | undefined;
  let connect: PrivateService;

  beforeAll(async () => {
    ({ kafka, connect } = await privateKafkaConnect());
    await kafka.up();
    await connect.up();
    context = await run.setUp(
      `CREATE TABLE items (id int PRIMARY KEY, title text, body text, price int, category text);
       INSERT INTO items SELECT n, 'Item ' || n, 'Item ' || n || ' is a sturdy oak shelf.', n * 10, 'home'
         FROM generate_series(1, 20) AS n;`,
      { CHUNK_MAX_TOKENS: "48", CHUNK_OVERLAP_TOKENS: "8", KAFKA_BROKERS: kafka.url, KAFKA_CONNECT_URL: connect.url },
    );
    embedder = run.embedder;
    // The initial ingestion; CDC then streams changes only (snapshot.mode=no_data).
    await run.ingest("items", { text_fields: spec.textFields, fields: spec.fields });
    await run.startConsumer();
    const response = await run.enable({ table: "items", text_fields: spec.textFields, columns_or_fields: spec.fields });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      connector: `${runId}.cdc-${source}`,
      slot: `cdc_${source}`.toLowerCase(),
      topic: `${runId}.${topics.cdcEvents}`,
      snapshot: "no_data",
    });
    await run.streaming();
  }, 300_000);

  afterAll(async () => {
    await run.stopConsumer();
    if (context) {
      const response = await run.disable();
      expect(await response.json()).toMatchObject({
        connector_deleted: true,
        slot_dropped: true,
        publication_dropped: true,
      });
      const leftover = await run.fixture.admin.query(
        "SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1)::int AS slots, (SELECT count(*) FROM pg_publication WHERE pubname = $1)::int AS publications",
        [`cdc_${source}`.toLowerCase()],
      );
      expect(leftover.rows[0]).toEqual({ slots: 0, publications: 0 });
    }
    await run.tearDown();
    await kafka?.destroy();
  });

  it("inserts, text updates, metadata-only updates and deletes reach the store within seconds", async () => {
    const delays: number[] = [];
    const timed = async (change: () => Promise<unknown>, reached: () => Promise<boolean>) => {
      await change();
      const committed = performance.now();
      await waitFor(reached, 30_000, "the change to reach the store");
      delays.push(performance.now() - committed);
    };

    embedder.reset();
    await timed(
      () => sql("INSERT INTO @items VALUES (101, 'Walnut desk', $1, 450, 'office')", [longBody(101)]),
      async () => (await storedIds(101)).length > 1,
    );
    expect(embedder.texts.some((text) => text.includes("Walnut desk"))).toBe(true);

    embedder.reset();
    await timed(
      () => sql("UPDATE @items SET title = 'Birch desk' WHERE id = 101"),
      async () => (await stored()).some((record) => record.content.includes("Birch desk")),
    );
    expect(embedder.texts.some((text) => text.includes("Birch desk"))).toBe(true);

    embedder.reset();
    await timed(
      () => sql("UPDATE @items SET price = 999 WHERE id = 7"),
      async () => (await stored()).some((record) => record.metadata.row_key === "7" && record.metadata.price === 999),
    );
    // Only the metadata changed: nothing was embedded for it.
    expect(embedder.texts).toEqual([]);

    const chunks = await storedIds(101);
    expect(chunks.length).toBeGreaterThan(1);
    await timed(
      () => sql("DELETE FROM @items WHERE id = 101"),
      async () => (await storedIds(101)).length === 0,
    );

    await converged(15_000);
    const progress = (await status()).tables[0];
    expect(progress?.counts).toMatchObject({ created: 1, updated: 2, deleted: 1, reembedded: 2, metadata_only: 1 });
    expect(progress?.last_commit_at).not.toBeNull();
    const sorted = [...delays].sort((a, b) => a - b);
    // How fast is bench/cdc.bench.ts's to measure; here only that every change arrived (converged above).
    console.info(`cdc commit-to-searchable ms: ${sorted.map((delay) => Math.round(delay)).join(", ")}`);
  }, 120_000);

  it("loses no change and applies none twice when Kafka Connect and the consumer restart mid-stream", async () => {
    embedder.reset();
    let written = 0;
    const writer = (async () => {
      for (let round = 0; round < 60; round++) {
        const id = (round % 20) + 1;
        await sql("UPDATE @items SET body = $1 WHERE id = $2", [
          `Revision ${round} of item ${id}: pine and steel.`,
          id,
        ]);
        written++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await waitFor(async () => written >= 10, 10_000, "the first updates");
    await run.stopConsumer();
    await connect.down();
    await connect.up();
    await run.startConsumer();
    await writer;
    await converged(90_000);
    // Every revision's text is unique: one embedded twice would be a change applied twice.
    const revisions = embedder.texts.filter((text) => text.includes("Revision"));
    expect(new Set(revisions).size).toBe(revisions.length);
    const current = await status();
    // Replays after the restart may count an event twice; none may be missing.
    await waitFor(
      async () => ((await status()).tables[0]?.counts.updated ?? 0) >= 2 + 60,
      30_000,
      "every update event to be consumed",
    );
    expect(current.connector.state).toBe("RUNNING");
    expect(current.lag.processed_lag_bytes).not.toBeNull();
  }, 180_000);

  it("absorbs a burst of 1,000 updates with the exact final state", async () => {
    const updatesBefore = (await status()).tables[0]?.counts.updated ?? 0;
    const started = performance.now();
    for (let batch = 0; batch < 10; batch++) {
      // 100 statements per transaction: each row of 20 updated five times per batch.
      await sql(
        `BEGIN; ${Array.from(
          { length: 100 },
          (_, i) =>
            `UPDATE @items SET body = 'Burst ${batch}-${i} of item ${(i % 20) + 1}', price = ${batch * 100 + i} WHERE id = ${(i % 20) + 1};`,
        ).join(" ")} COMMIT;`,
      );
    }
    const committed = performance.now();
    await converged(90_000);
    const exact = (performance.now() - started) / 1000;
    // Each event reads its row's current state, so the store can be exact before the last event
    // is consumed; every event must still arrive, and leave the state as it is.
    await waitFor(
      async () => ((await status()).tables[0]?.counts.updated ?? 0) >= updatesBefore + 1_000,
      90_000,
      "every burst event to be consumed",
    );
    const consumed = (performance.now() - started) / 1000;
    await converged(5_000);
    console.info(
      `cdc burst: 1000 updates committed in ${Math.round(committed - started)} ms, store exact after ${exact.toFixed(1)} s, all events consumed after ${consumed.toFixed(1)} s`,
    );
  }, 120_000);
});
