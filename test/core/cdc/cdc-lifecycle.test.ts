import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyRowChanges, cdcNames, type RowChange } from "../../../core/cdc/index.js";
import type { AppContext } from "../../../core/context/index.js";
import { type DeadLetter, topics } from "../../../core/messaging/index.js";
import { CdcTestRun } from "../../support/cdc-run.js";
import { readTopic } from "../../support/kafka.js";
import { waitFor } from "../../support/processes.js";
import { expectedRecords, storedRecords } from "../../support/sync-oracle.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");
const services = (...args: string[]) => run("bash", ["scripts/services.sh", ...args], { cwd: root, timeout: 180_000 });

const rows = 15;

/**
 * What the main CDC test leaves out: a table never ingested before CDC (`snapshot: "initial"`),
 * a TRUNCATE, and a selected column dropped under a running connector.
 */
describe("change data capture: initial snapshot, truncate, a dropped column", () => {
  const run = new CdcTestRun("cdclife", "cdc");
  const { runId, source, sql, status } = run;
  const eventsTopic = `${runId}.${topics.cdcEvents}`;
  let context: AppContext;
  let spec = { textFields: ["title", "body"], fields: ["price", "category"] };
  const enable = (body: Record<string, unknown>) =>
    run.enable({ table: "items", text_fields: spec.textFields, columns_or_fields: spec.fields, ...body });
  const stored = () => storedRecords(context, source, "items");
  /** Waits until the store equals a fresh ingestion of the table's current rows under `spec`. */
  const converged = (timeoutMs: number) => run.converged("items", spec, timeoutMs);

  beforeAll(async () => {
    await services("up", "connect");
    context = await run.setUp(
      `CREATE TABLE items (id int PRIMARY KEY, title text, body text, price int, category text);
       INSERT INTO items SELECT n, 'Lamp ' || n, 'Lamp ' || n || ' has a linen shade and a brass stem.', n * 5, 'light'
         FROM generate_series(1, ${rows}) AS n;`,
    );
    await run.startConsumer();
  }, 240_000);

  afterAll(() => run.tearDown());

  it('with snapshot: "initial", brings the rows of a table never ingested into the store', async () => {
    expect(await stored()).toEqual([]);
    const response = await enable({ snapshot: "initial" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ snapshot: "initial" });
    const records = await converged(120_000);
    expect(records).toHaveLength(rows);
    // Counts are recorded after the store is written, so they may trail it briefly.
    await waitFor(
      async () => ((await status()).tables[0]?.counts.snapshot_reads ?? 0) >= rows,
      30_000,
      "every snapshot read to be counted",
    );
  }, 180_000);

  it("a TRUNCATE removes the table's documents; rows inserted after it in the same transaction stay", async () => {
    await sql(
      `BEGIN; TRUNCATE @items;
       INSERT INTO @items VALUES (101, 'Desk lamp', 'A desk lamp with a green glass shade.', 40, 'light'),
                                 (102, 'Floor lamp', 'A floor lamp with three arms.', 90, 'light');
       COMMIT;`,
    );
    // Rows 1–15 are gone from the source: only a truncate event can say so (no delete event is written).
    await waitFor(
      async () => (await stored()).every((record) => Number(record.metadata.row_key) > rows),
      60_000,
      "the truncated rows to leave the store",
    );
    const records = await converged(30_000);
    expect(records.map((record) => record.metadata.row_key)).toEqual(["101", "102"]);
    await waitFor(
      async () => ((await status()).tables[0]?.counts.truncates ?? 0) >= 1,
      30_000,
      "the truncate to be counted",
    );
  }, 120_000);

  it("dropping a selected column sends the table's events to cdc-events.dlq until the spec is fixed", async () => {
    const admin = context.kafka;
    if (!admin) throw new Error("kafka is configured in tests");
    await sql("ALTER TABLE @items DROP COLUMN category");
    await sql("UPDATE @items SET body = 'A desk lamp with a blue glass shade.' WHERE id = 101");
    const letters = await readTopic(admin, `${eventsTopic}.dlq`, 1, 90_000);
    const letter = JSON.parse(letters[0] ?? "null") as DeadLetter;
    expect(letter.topic).toBe(eventsTopic);
    expect(letter.error).toContain("category");
    // The store kept the row as it was: nothing half-applied.
    expect((await stored()).find((record) => record.metadata.row_key === "101")?.content).toContain("green glass");

    // Fixed: the spec no longer selects the dropped column. Later changes apply again.
    spec = { textFields: ["title", "body"], fields: ["price"] };
    expect((await enable({})).status).toBe(200);
    await sql("UPDATE @items SET body = 'A desk lamp with a red glass shade.', price = 45 WHERE id = 101");
    await waitFor(
      async () => {
        const record = (await stored()).find((entry) => entry.metadata.row_key === "101");
        return record?.content.includes("red glass") === true && record.metadata.price === 45;
      },
      60_000,
      "the change after the fix to reach the store",
    );
    const fixed = (await stored()).find((record) => record.metadata.row_key === "101");
    expect(fixed?.metadata).not.toHaveProperty("category");
    // Only the event made while the spec was broken was dead-lettered.
    expect(await readTopic(admin, `${eventsTopic}.dlq`)).toHaveLength(letters.length);
  }, 180_000);

  it("a truncate applied after the inserts that followed it keeps those rows", async () => {
    // A truncate event has no key, so Connect may put it on another partition than the inserts after
    // it, and the consumer may see them first. Applied directly, in that order, with the consumer stopped.
    await run.stopConsumer();
    await sql(
      `BEGIN; TRUNCATE @items;
       INSERT INTO @items (id, title, body, price) VALUES (201, 'Wall lamp', 'A wall lamp with a swing arm.', 60);
       COMMIT;`,
    );
    const vectors = context.vectors;
    if (!vectors) throw new Error("chroma is configured in tests");
    const change = (op: RowChange["op"], key: Record<string, unknown>): RowChange => ({
      op,
      origin: cdcNames(source, context.settings).topicPrefix,
      schema: run.fixture.schema,
      table: "items",
      key,
      image: key,
      lsn: undefined,
      commitMs: undefined,
    });
    await applyRowChanges({ ...context, vectors }, [change("c", { id: 201 })]);
    await applyRowChanges({ ...context, vectors }, [change("t", {})]);
    const records = await stored();
    expect(records.map((record) => record.metadata.row_key)).toEqual(["201"]);
    expect(records).toEqual(await expectedRecords(context, source, "items", spec));
  });
});
