import type { MongoClient, ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { chunkText, rowToDocument, UnknownFieldsError } from "../../../core/sources/index.js";
import {
  type SyncDependencies,
  SyncInProgressError,
  SyncSpecMissingError,
  SyncStateStore,
  syncTable,
} from "../../../core/sync/index.js";
import { createTestContext } from "../../support/app-context.js";
import { testServices } from "../../support/services.js";
import { openSyncFixture, type SyncFixture, syncNames } from "../../support/sync-fixture.js";
import { countingEmbedder, expectedRecords, storedRecords } from "../../support/sync-oracle.js";

const itemSpec = { text_fields: ["title", "body"], fields: ["price", "category"], watermark_column: "updated_at" };
const oracleSpec = { textFields: ["title", "body"], fields: ["price", "category"] };

describe("incremental sync on PostgreSQL and the MongoDB-wire server, against real Chroma and Redis", () => {
  const names = syncNames("sync");
  const { run, pgSource, mongoSource, collection } = names;
  let opened: SyncFixture;
  let mongo: MongoClient;
  let context: AppContext;
  let embedder: SyncFixture["embedder"];
  let dependencies: SyncDependencies;
  const sql = (text: string, values: unknown[] = []) => opened.sql(text, values);

  beforeAll(async () => {
    opened = await openSyncFixture(names, {
      setupSql: `CREATE TABLE items (id int PRIMARY KEY, title text, body text, price int, category text,
                           updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
       INSERT INTO items (id, title, body, price, category)
         SELECT n, 'Item ' || n, 'Item number ' || n || ' is a sturdy oak shelf for a small flat.', n * 10, 'home'
           FROM generate_series(1, 12) AS n;
       CREATE TABLE tags (label text, note text);
       INSERT INTO tags VALUES ('red', 'warm colour'), ('blue', 'cool colour'), ('green', 'calm colour');
       CREATE TABLE notes (id int PRIMARY KEY, body text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());`,
      pageSize: 5,
    });
    ({ mongo, context, embedder, dependencies } = opened);
  });

  afterAll(async () => {
    await opened?.close();
  });

  /** The texts a set of rows' documents have, to compare with what the embedder was given. */
  const textsOf = async (ids: number[]) => {
    const { rows } = await sql("SELECT * FROM @items WHERE id = ANY($1) ORDER BY id", [ids]);
    const shape = {
      source: pgSource,
      table: "items",
      textFields: ["title", "body"],
      metadataFields: [],
      primaryKey: ["id"],
    };
    return rows.map((row) => rowToDocument(row, shape).text).sort();
  };

  it("embeds every row on the first sync, then nothing while nothing changes", async () => {
    embedder.reset();
    const first = await syncTable(dependencies, { source: pgSource, table: "items", spec: itemSpec });
    expect(first).toMatchObject({ changed: 12, reembedded: 12, metadata_only: 0, deleted: 0, full_scan: true });
    expect(embedder.texts).toHaveLength(12);
    expect(await storedRecords(context, pgSource, "items")).toEqual(
      await expectedRecords(context, pgSource, "items", oracleSpec),
    );

    embedder.reset();
    const second = await syncTable(dependencies, { source: pgSource, table: "items" });
    // Only the rows at the watermark itself are read again (gte), and found unchanged by their hashes.
    expect(second).toMatchObject({ reembedded: 0, metadata_only: 0, deleted: 0, full_scan: false });
    expect(second.changed).toBe(second.unchanged);
    expect(second.changed).toBeLessThan(12);
    expect(embedder.texts).toEqual([]);
    const state = await new SyncStateStore(context.redis, { prefix: `${run}:` }).get(pgSource, "items");
    expect(state?.spec).toEqual(itemSpec);
    expect(state?.watermark?.value).toBe(second.watermark);
  });

  it("re-embeds only rows whose text changed, updates metadata alone, removes deleted rows", async () => {
    await sql("UPDATE @items SET title = 'Walnut bookcase', updated_at = clock_timestamp() WHERE id = 2");
    await sql("UPDATE @items SET price = 999, updated_at = clock_timestamp() WHERE id = 3");
    // A metadata key that disappears: Chroma's update would keep the old value, so this checks the re-add path.
    await sql("UPDATE @items SET category = NULL, updated_at = clock_timestamp() WHERE id = 4");
    await sql("DELETE FROM @items WHERE id IN (5, 6)");
    await sql(
      "INSERT INTO @items (id, title, body, price, category) VALUES (6, 'Item 6', 'Reinserted: a pine stool.', 60, 'home')",
    );
    await sql(
      "INSERT INTO @items (id, title, body, price, category) VALUES (13, 'Lamp', 'A brass desk lamp.', 45, 'light')",
    );
    await sql("UPDATE @items SET title = NULL, body = NULL, updated_at = clock_timestamp() WHERE id = 7");
    embedder.reset();

    const summary = await syncTable(dependencies, { source: pgSource, table: "items" });

    expect(summary).toMatchObject({ reembedded: 3, metadata_only: 2, deleted: 2, full_scan: false });
    expect(embedder.texts.sort()).toEqual(await textsOf([2, 6, 13]));
    const stored = await storedRecords(context, pgSource, "items");
    expect(stored).toEqual(await expectedRecords(context, pgSource, "items", oracleSpec));
    const byId = new Map(stored.map((record) => [record.id.split(":").at(-1), record]));
    expect(byId.get("2")?.content).toContain("Walnut bookcase");
    expect(byId.get("3")?.metadata.price).toBe(999);
    expect(byId.get("4")?.metadata).not.toHaveProperty("category");
    expect(byId.get("6")?.content).toContain("pine stool");
    expect([...byId.keys()].filter((key) => ["5", "7"].includes(key ?? ""))).toEqual([]);
  });

  it("keeps chunked rows consistent when a long row shrinks from 5 chunks to 2, then to one", async () => {
    const small = createTestContext({
      REDIS_KEY_PREFIX: `${run}:`,
      CHUNK_MAX_TOKENS: "40",
      CHUNK_OVERLAP_TOKENS: "4",
      SOURCES: JSON.stringify([
        { name: pgSource, kind: "postgresql", url: testServices.postgresUrl, schema: opened.pg.schema },
      ]),
    });
    try {
      const chunking = { maxTokens: 40, overlapTokens: 4 };
      const textWithChunks = async (wanted: number) => {
        for (let words = 5; words < 2_000; words += 3) {
          const text = Array.from({ length: words }, (_, index) => `shelf${index % 7} oak`).join(" ");
          const pieces = await chunkText(`body: ${text}`, (texts) => small.embedder.countTokens(texts), chunking);
          if (pieces.length === wanted) return text;
        }
        throw new Error(`no text of ${wanted} chunks`);
      };
      const counting = countingEmbedder(small.embedder);
      const vectors = small.vectors;
      if (!vectors) throw new Error("chroma is configured in tests");
      const deps = { ...small, vectors, embedder: counting };
      const ids = async () => (await storedRecords(small, pgSource, "notes")).map((record) => record.id);
      const base = `${pgSource}:notes:1`;

      await sql("INSERT INTO @notes (id, body) VALUES (1, $1)", [await textWithChunks(5)]);
      await syncTable(deps, {
        source: pgSource,
        table: "notes",
        spec: { text_fields: ["body"], watermark_column: "updated_at" },
      });
      expect(await ids()).toEqual([0, 1, 2, 3, 4].map((index) => `${base}#${index}`));

      await sql("UPDATE @notes SET body = $1, updated_at = clock_timestamp() WHERE id = 1", [await textWithChunks(2)]);
      counting.reset();
      const shrunk = await syncTable(deps, { source: pgSource, table: "notes" });
      expect(shrunk).toMatchObject({ reembedded: 1, deleted: 0 });
      expect(counting.texts).toHaveLength(2);
      expect(await ids()).toEqual([`${base}#0`, `${base}#1`]);
      expect(await storedRecords(small, pgSource, "notes")).toEqual(
        await expectedRecords(small, pgSource, "notes", { textFields: ["body"] }),
      );

      await sql("UPDATE @notes SET body = 'short now', updated_at = clock_timestamp() WHERE id = 1");
      await syncTable(deps, { source: pgSource, table: "notes" });
      expect(await ids()).toEqual([base]);
    } finally {
      await small.vectors?.deleteTable(pgSource, "notes");
      await small.close();
    }
  });

  it("syncs a table without a key or a watermark: an edited row gets a new id and its old one goes", async () => {
    const spec = { text_fields: ["note"], fields: ["label"] };
    await syncTable(dependencies, { source: pgSource, table: "tags", spec });
    await sql("UPDATE @tags SET note = 'deep colour' WHERE label = 'blue'");
    embedder.reset();
    const summary = await syncTable(dependencies, { source: pgSource, table: "tags" });
    expect(summary).toMatchObject({ changed: 3, reembedded: 1, unchanged: 2, deleted: 1, full_scan: true });
    expect(embedder.texts).toEqual(["note: deep colour"]);
    expect(await storedRecords(context, pgSource, "tags")).toEqual(
      await expectedRecords(context, pgSource, "tags", { textFields: ["note"], fields: ["label"] }),
    );
  });

  it("syncs a MongoDB-wire collection by a Date watermark, with deletes found by paging ids", async () => {
    const reviews = mongo.db(testServices.mongoDatabase).collection(collection);
    const stamp = (offset = 0) => new Date(Date.now() + offset);
    const inserted = await reviews.insertMany(
      Array.from({ length: 8 }, (_, index) => ({
        product: `Lamp ${index}`,
        review: `Review ${index}: bright, steady light for reading.`,
        stars: 4,
        // Distinct stamps: rows sharing the watermark's instant are all read again (gte).
        updated_at: stamp(index - 10_000),
      })),
    );
    const ids = Object.values(inserted.insertedIds) as ObjectId[];
    const spec = { text_fields: ["product", "review"], fields: ["stars"], watermark_column: "updated_at" };
    const mongoOracle = { textFields: ["product", "review"], fields: ["stars"] };
    const first = await syncTable(dependencies, { source: mongoSource, table: collection, spec });
    expect(first).toMatchObject({ reembedded: 8, full_scan: true });

    // Later stamps than any seen, as a writer's clock would give.
    await reviews.updateOne({ _id: ids[1] }, { $set: { review: "Flickers after a week.", updated_at: stamp(5_000) } });
    await reviews.updateOne({ _id: ids[2] }, { $set: { stars: 1, updated_at: stamp(5_000) } });
    await reviews.deleteOne({ _id: ids[3] });
    await reviews.insertOne({ product: "Desk fan", review: "Quiet at night.", stars: 5, updated_at: stamp(5_000) });
    embedder.reset();

    const summary = await syncTable(dependencies, { source: mongoSource, table: collection });
    expect(summary).toMatchObject({ reembedded: 2, metadata_only: 1, deleted: 1, full_scan: false });
    expect(summary.changed).toBeLessThanOrEqual(4);
    expect(embedder.texts.sort()).toEqual([
      "product: Desk fan\nreview: Quiet at night.",
      "product: Lamp 1\nreview: Flickers after a week.",
    ]);
    expect(await storedRecords(context, mongoSource, collection)).toEqual(
      await expectedRecords(context, mongoSource, collection, mongoOracle),
    );
  });

  it("refuses a second sync of the same table while one runs, and a table with no spec or an unknown watermark", async () => {
    const state = new SyncStateStore(context.redis, { prefix: `${run}:` });
    const lock = await state.lock(pgSource, "items", { ttlSeconds: 30 });
    try {
      await expect(syncTable(dependencies, { source: pgSource, table: "items" })).rejects.toBeInstanceOf(
        SyncInProgressError,
      );
    } finally {
      await lock?.release();
    }
    await expect(syncTable(dependencies, { source: pgSource, table: "items" })).resolves.toMatchObject({
      reembedded: 0,
    });
    await expect(syncTable(dependencies, { source: pgSource, table: "notes_unknown" })).rejects.toBeInstanceOf(
      SyncSpecMissingError,
    );
    await expect(
      syncTable(dependencies, { source: pgSource, table: "items", spec: { watermark_column: "changed_on" } }),
    ).rejects.toBeInstanceOf(UnknownFieldsError);
  });
});
