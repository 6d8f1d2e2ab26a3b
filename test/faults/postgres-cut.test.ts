import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../core/context/index.js";
import { createIngestApp } from "../../functions/http/ingest.js";
import { createTestContext } from "../support/app-context.js";
import { readJson } from "../support/http.js";
import { createPostgresFixture } from "../support/postgres-fixture.js";
import { waitFor } from "../support/processes.js";
import { testServices, uniqueName } from "../support/services.js";
import { releaseRun } from "../support/test-run.js";

/** Rows the ingestion's cursor reads at a time (core/ingest/pipeline.ts). */
const cursorRead = 1_000;
// More than one read, so the cut lands between two reads: the second one fails, and no more than
// the first read's rows can be stored.
const rows = 1_200;
/** The observed point the fault is driven from: this many documents stored. */
const beforeFault = 100;

describe("a PostgreSQL connection cut in the middle of a stream", { timeout: 240_000 }, () => {
  const source = uniqueName("pgcut").replace(/-/g, "_");
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  const admin = new pg.Client({ connectionString: testServices.postgresUrl });

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE notes (id int PRIMARY KEY, body text);
       INSERT INTO notes SELECT n, 'Note ' || n || ' about the quarterly inventory of the north warehouse.'
         FROM generate_series(1, ${rows}) AS n;`,
    );
    await admin.connect();
    context = createTestContext({
      EMBEDDING_BATCH_SIZE: "16",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
  });

  afterAll(async () => {
    await releaseRun(context, { sources: [source] });
    await admin.end().catch(() => undefined);
    await fixture?.drop();
  });

  const ingest = () =>
    createIngestApp(() => context).request("/ingest-data", {
      method: "POST",
      body: JSON.stringify({ source, table_or_collection: "notes", text_fields: ["body"] }),
      headers: { "content-type": "application/json" },
    });

  it(`fails the ingestion cut after ${beforeFault} documents with a 503 naming the source; a re-run completes with no duplicates`, async () => {
    const running = ingest();
    // The streaming cursor is the session reading this table; cut it once some rows are stored.
    await waitFor(
      async () => ((await context.vectors?.count(source)) ?? 0) >= beforeFault,
      120_000,
      `${beforeFault} documents stored`,
    );
    const cut = await admin.query(
      `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity
        WHERE pid <> pg_backend_pid() AND query LIKE $1`,
      [`%"${fixture.schema}"."notes"%`],
    );
    expect(cut.rows.length).toBeGreaterThan(0);

    const failed = await running;
    expect(failed.status).toBe(503);
    const body = await readJson(failed);
    expect(body.error.message).toContain(`source '${source}'`);
    expect(JSON.stringify(body)).not.toContain(testServices.postgresUrl);
    // Both halves: what was stored before the cut stays, and the cut stopped the rest.
    const partial = (await context.vectors?.count(source)) ?? 0;
    expect(partial).toBeGreaterThanOrEqual(beforeFault);
    expect(partial).toBeLessThanOrEqual(cursorRead);

    const rerun = await ingest();
    expect(rerun.status).toBe(200);
    expect(await readJson(rerun)).toMatchObject({ documents: rows, failed: 0 });
    // No loss and no duplicates: the re-run replaced the ids stored before the cut and added the rest.
    expect(await context.vectors?.count(source)).toBe(rows);
    const ids = new Set((await context.vectors?.get(source, { limit: rows + 10 }))?.map((record) => record.id));
    expect(ids.size).toBe(rows);
    for (let id = 1; id <= rows; id++) expect(ids.has(`${source}:notes:${id}`)).toBe(true);
    console.info(`postgres cut: ${partial} of ${rows} documents stored when the ingestion failed`);
  });
});
