import type { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { auditTable, type SyncDependencies, syncTable } from "../../../core/sync/index.js";
import { testServices } from "../../support/services.js";
import { openSyncFixture, type SyncFixture, syncNames } from "../../support/sync-fixture.js";
import { expectedRecords, storedRecords } from "../../support/sync-oracle.js";

const clean = { count: 0, sample: [] };

describe("drift audit and repair, paging both the source and the store", () => {
  const names = syncNames("audit");
  const { pgSource, mongoSource, collection } = names;
  let opened: SyncFixture;
  let mongo: MongoClient;
  let context: AppContext;
  let embedder: SyncFixture["embedder"];
  let dependencies: SyncDependencies;
  const id = (key: string | number) => `${pgSource}:docs:${key}`;

  beforeAll(async () => {
    opened = await openSyncFixture(names, {
      setupSql: `CREATE TABLE docs (id int PRIMARY KEY, title text, body text, price int,
                          updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
       INSERT INTO docs (id, title, body, price)
         SELECT n, 'Guide ' || n, 'How to assemble cabinet model ' || n || ' in ten steps.', n
           FROM generate_series(1, 11) AS n;`,
      // Pages of 3 over 11 rows: drift lands on several pages, and deleting from a store page must not skip records.
      pageSize: 3,
    });
    ({ mongo, context, embedder, dependencies } = opened);
    await syncTable(dependencies, {
      source: pgSource,
      table: "docs",
      spec: { text_fields: ["title", "body"], fields: ["price"], watermark_column: "updated_at" },
    });
  });

  afterAll(async () => {
    await opened?.close();
  });

  it("finds nothing on a table the sync just wrote", async () => {
    const report = await auditTable(dependencies, { source: pgSource, table: "docs" });
    expect(report).toMatchObject({ source_rows: 11, stored_ids: 11, missing: clean, extra: clean, stale: clean });
    expect(report.repaired).toBeNull();
  });

  it("reports missing, extra and stale ids, repairs exactly those, and a second audit is clean", async () => {
    const vectors = dependencies.vectors;
    const [vector] = await context.embedder.embed(["an extra document"]);
    // Missing: a row's vector lost.
    await vectors.deleteIds(pgSource, [id(2)]);
    // Extra: a row the source never had, and debris of an older, longer version of row 3.
    const extraMetadata = (key: string) => ({
      source: pgSource,
      table: "docs",
      row_key: key,
      content_hash: "0".repeat(64),
    });
    await vectors.upsert(pgSource, [
      { id: id(999), embedding: vector ?? [], document: "ghost", metadata: extraMetadata("999") },
      {
        id: `${id(3)}#4`,
        embedding: vector ?? [],
        document: "old tail",
        metadata: { ...extraMetadata("3"), chunk: 4, chunks: 5 },
      },
    ]);
    // Extra: rows deleted from the source behind the sync's back. Rows 1 and 6 sit on consecutive store
    // pages once the repair has rewritten rows 2 and 4, so deleting 1 must move the next page's offset back.
    await opened.pg.admin.query(`DELETE FROM ${opened.pg.schema}.docs WHERE id IN (1, 6)`);
    // Stale text: a change the watermark cannot see (its updated_at was not touched).
    await opened.pg.admin.query(
      `UPDATE ${opened.pg.schema}.docs SET body = 'Rewritten without a timestamp.' WHERE id = 4`,
    );
    // Stale metadata: the store's copy tampered with.
    await vectors.updateMetadata(pgSource, [{ id: id(5), metadata: { price: -1 } }]);
    // An unrelated table of the same source is not this audit's business.
    await vectors.upsert(pgSource, [
      {
        id: `${pgSource}:other:1`,
        embedding: vector ?? [],
        document: "other",
        metadata: { source: pgSource, table: "other", row_key: "1" },
      },
    ]);

    embedder.reset();
    const report = await auditTable(dependencies, { source: pgSource, table: "docs" });
    expect(report.missing).toEqual({ count: 1, sample: [id(2)] });
    expect(report.extra.count).toBe(4);
    expect(report.extra.sample.sort()).toEqual([`${id(3)}#4`, id(1), id(6), id(999)].sort());
    expect(report.stale.count).toBe(2);
    expect(report.stale.sample.sort()).toEqual([id(4), id(5)].sort());
    expect(report.source_rows).toBe(9);
    expect(report.stored_ids).toBe(12);
    expect(embedder.texts).toEqual([]);

    const limited = await auditTable(dependencies, { source: pgSource, table: "docs", sampleSize: 1 });
    expect(limited.extra).toMatchObject({ count: 4 });
    expect(limited.extra.sample).toHaveLength(1);

    const repaired = await auditTable(dependencies, { source: pgSource, table: "docs", repair: true });
    expect(repaired).toMatchObject({ missing: report.missing, stale: { count: 2 }, extra: { count: 4 } });
    expect(repaired.repaired).toEqual({ reembedded: 2, metadata_only: 1, deleted: 4 });
    expect(embedder.texts).toHaveLength(2);
    expect(embedder.texts.join("\n")).toContain("Rewritten without a timestamp.");

    const again = await auditTable(dependencies, { source: pgSource, table: "docs" });
    expect(again).toMatchObject({ missing: clean, extra: clean, stale: clean, stored_ids: 9 });
    expect(await storedRecords(context, pgSource, "docs")).toEqual(
      await expectedRecords(context, pgSource, "docs", { textFields: ["title", "body"], fields: ["price"] }),
    );
    expect(await vectors.getMetadata(pgSource, [`${pgSource}:other:1`])).toHaveLength(1);
  });

  it("counts a row left without text as extra, not stale", async () => {
    await opened.pg.admin.query(`UPDATE ${opened.pg.schema}.docs SET title = NULL, body = NULL WHERE id = 8`);
    const report = await auditTable(dependencies, { source: pgSource, table: "docs" });
    expect(report).toMatchObject({
      source_rows: 8,
      missing: clean,
      stale: clean,
      extra: { count: 1, sample: [id(8)] },
    });
    await auditTable(dependencies, { source: pgSource, table: "docs", repair: true });
    expect((await auditTable(dependencies, { source: pgSource, table: "docs" })).extra).toEqual(clean);
  });

  it("audits and repairs a MongoDB-wire collection", async () => {
    const faq = mongo.db(testServices.mongoDatabase).collection(collection);
    await faq.insertMany(
      Array.from({ length: 7 }, (_, index) => ({ question: `Question ${index}?`, answer: `Answer ${index}.` })),
    );
    await syncTable(dependencies, {
      source: mongoSource,
      table: collection,
      spec: { text_fields: ["question", "answer"] },
    });
    const [first] = await storedRecords(context, mongoSource, collection);
    if (!first) throw new Error("the sync stored the collection");
    await dependencies.vectors.deleteIds(mongoSource, [first.id]);
    await faq.updateOne({ question: "Question 3?" }, { $set: { answer: "A new answer." } });

    const report = await auditTable(dependencies, { source: mongoSource, table: collection });
    expect(report).toMatchObject({
      source_rows: 7,
      missing: { count: 1, sample: [first.id] },
      stale: { count: 1 },
      extra: clean,
    });
    await auditTable(dependencies, { source: mongoSource, table: collection, repair: true });
    expect(await auditTable(dependencies, { source: mongoSource, table: collection })).toMatchObject({
      missing: clean,
      extra: clean,
      stale: clean,
    });
    expect(await storedRecords(context, mongoSource, collection)).toEqual(
      await expectedRecords(context, mongoSource, collection, { textFields: ["question", "answer"] }),
    );
  });
});
