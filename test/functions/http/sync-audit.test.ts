import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { SyncStateStore } from "../../../core/sync/index.js";
import { createAuditApp } from "../../../functions/http/audit.js";
import { createIngestApp } from "../../../functions/http/ingest.js";
import { createSyncApp } from "../../../functions/http/sync.js";
import { createTestContext } from "../../support/app-context.js";
import { type JsonBody, readJson } from "../../support/http.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";
import { countingEmbedder } from "../../support/sync-oracle.js";
import { releaseRun } from "../../support/test-run.js";

describe("POST /sync/{source}, GET /sync/{source}, GET /audit/{source}, POST /audit/{source}/repair", () => {
  const run = uniqueName("http").replace(/-/g, "_");
  const source = `kb_${run}`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let embedder: ReturnType<typeof countingEmbedder>;

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE faq (id int PRIMARY KEY, question text, answer text, topic text,
                         updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
       INSERT INTO faq (id, question, answer, topic)
         SELECT n, 'Question ' || n || '?', 'Answer ' || n || ': restart the router and wait a minute.', 'network'
           FROM generate_series(1, 6) AS n;
       CREATE TABLE never_ingested (id int PRIMARY KEY, body text);`,
    );
    const base = createTestContext({
      REDIS_KEY_PREFIX: `${run}:`,
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    embedder = countingEmbedder(base.embedder);
    context = { ...base, embedder };
  });

  afterAll(async () => {
    await releaseRun(context, { sources: [source], redisPrefix: `${run}:` });
    await fixture?.drop();
  });

  const call = async (
    app: ReturnType<typeof createSyncApp>,
    path: string,
    init: { method?: string; body?: unknown; raw?: string } = {},
  ): Promise<{ status: number; body: JsonBody }> => {
    const response = await app.request(path, {
      method: init.method ?? (init.body === undefined && init.raw === undefined ? "GET" : "POST"),
      ...(init.body !== undefined || init.raw !== undefined
        ? { body: init.raw ?? JSON.stringify(init.body), headers: { "content-type": "application/json" } }
        : {}),
    });
    return { status: response.status, body: await readJson(response) };
  };
  const sync = (body: unknown, name = source) =>
    call(
      createSyncApp(() => context),
      `/sync/${name}`,
      { body },
    );
  const audit = (query: string, name = source) =>
    call(
      createAuditApp(() => context),
      `/audit/${name}${query}`,
    );
  const repair = (body: unknown) =>
    call(
      createAuditApp(() => context),
      `/audit/${source}/repair`,
      { body },
    );

  it("syncs a table named only by source and table after POST /ingest-data recorded its spec, embedding nothing new", async () => {
    const ingested = await createIngestApp(() => context).request("/ingest-data", {
      method: "POST",
      body: JSON.stringify({
        source,
        table_or_collection: "faq",
        columns_or_fields: ["topic"],
        text_fields: ["question", "answer"],
      }),
      headers: { "content-type": "application/json" },
    });
    expect(ingested.status).toBe(200);
    embedder.reset();
    const first = await sync({ table: "faq", watermark_column: "updated_at" });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({
      source,
      table: "faq",
      changed: 6,
      reembedded: 0,
      unchanged: 6,
      full_scan: true,
    });
    expect(embedder.texts).toEqual([]);

    await fixture.admin.query(
      `UPDATE ${fixture.schema}.faq SET answer = 'Call the help desk.', updated_at = clock_timestamp() WHERE id = 2`,
    );
    await fixture.admin.query(`DELETE FROM ${fixture.schema}.faq WHERE id = 6`);
    const second = await sync({ table: "faq" });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ reembedded: 1, deleted: 1, full_scan: false });
    expect(embedder.texts).toEqual(["question: Question 2?\nanswer: Call the help desk."]);

    const state = await call(
      createSyncApp(() => context),
      `/sync/${source}?table=faq`,
    );
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      spec: { text_fields: ["question", "answer"], fields: ["topic"], watermark_column: "updated_at" },
      primary_key: ["id"],
      last_result: { reembedded: 1, deleted: 1 },
      last_error: null,
    });
    expect(state.body.watermark.value).toBe(second.body.watermark);
  });

  it("audits clean after a sync, finds a lost vector, and repairs it", async () => {
    expect((await audit("?table=faq")).body).toMatchObject({
      source_rows: 5,
      stored_ids: 5,
      missing: { count: 0 },
      extra: { count: 0 },
      stale: { count: 0 },
      repaired: null,
    });
    await context.vectors?.deleteIds(source, [`${source}:faq:3`]);
    const found = await audit("?table=faq&sample=5");
    expect(found.body.missing).toEqual({ count: 1, sample: [`${source}:faq:3`] });
    const repaired = await repair({ table: "faq" });
    expect(repaired.status).toBe(200);
    expect(repaired.body).toMatchObject({
      missing: { count: 1 },
      repaired: { reembedded: 1, metadata_only: 0, deleted: 0 },
    });
    expect((await audit("?table=faq")).body.missing.count).toBe(0);
  });

  it("answers bad input with a 4xx JSON envelope, never a 500", async () => {
    const cases: [string, Promise<{ status: number; body: JsonBody }>, number][] = [
      ["bad source name", sync({ table: "faq" }, "bad%20name!"), 400],
      ["unknown source", sync({ table: "faq" }, "nosuch"), 404],
      ["unknown table", sync({ table: "nope", text_fields: ["a"] }), 404],
      ["no table", sync({}), 400],
      ["empty text fields", sync({ table: "faq", text_fields: [] }), 400],
      ["unknown field", sync({ table: "faq", text_fields: ["nope"] }), 400],
      ["unknown watermark column", sync({ table: "faq", watermark_column: "changed_on" }), 400],
      [
        "a filter operator outside the list",
        sync({ table: "faq", filters: [{ column: "id", op: "$where", value: 1 }] }),
        400,
      ],
      ["nothing recorded for the table", sync({ table: "never_ingested" }), 400],
      [
        "malformed JSON",
        call(
          createSyncApp(() => context),
          `/sync/${source}`,
          { raw: "{not json" },
        ),
        400,
      ],
      [
        "state of an unrecorded table",
        call(
          createSyncApp(() => context),
          `/sync/${source}?table=never_ingested`,
        ),
        404,
      ],
      [
        "state without a table",
        call(
          createSyncApp(() => context),
          `/sync/${source}`,
        ),
        400,
      ],
      ["audit without a table", audit(""), 400],
      ["audit of an unknown source", audit("?table=faq", "nosuch"), 404],
      ["audit of a bad source name", audit("?table=faq", "-bad"), 400],
      ["audit of an unknown table", audit("?table=nope"), 400],
      ["audit sample too large", audit("?table=faq&sample=100000"), 400],
      ["repair without a table", repair({}), 400],
      ["repair sample as text in a JSON body", repair({ table: "faq", sample: "5" }), 400],
    ];
    for (const [label, pending, status] of cases) {
      const { status: actual, body } = await pending;
      expect(actual, `${label}: ${JSON.stringify(body)}`).toBe(status);
      expect(body.error.code, label).toEqual(expect.any(String));
      expect(body.error.message, label).toEqual(expect.any(String));
    }
  });

  it("answers 409 while another sync holds the table, and 413 above the per-request row limit", async () => {
    const lock = await new SyncStateStore(context.redis, { prefix: `${run}:` }).lock(source, "faq", { ttlSeconds: 30 });
    try {
      const busy = await sync({ table: "faq" });
      expect(busy.status).toBe(409);
      expect(busy.body.error.code).toBe("sync_in_progress");
      expect((await repair({ table: "faq" })).status).toBe(409);
    } finally {
      await lock?.release();
    }

    const small = createTestContext({
      REDIS_KEY_PREFIX: `${run}:`,
      SYNC_INGEST_MAX_ROWS: "2",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    try {
      // Another text field: a new spec, so every row is read again, which is more than 2.
      const response = await createSyncApp(() => small).request(`/sync/${source}`, {
        method: "POST",
        body: JSON.stringify({ table: "faq", text_fields: ["question"] }),
        headers: { "content-type": "application/json" },
      });
      expect(response.status).toBe(413);
      expect((await readJson(response)).error.details.use).toBe("async");
    } finally {
      await small.close();
    }
  });

  it("keeps the vectors of deleted rows with detect_deletes: false, and removes them on the next sync that detects", async () => {
    const stored = async () => (await context.vectors?.get(source, { limit: 100 }))?.map((record) => record.id) ?? [];
    expect(await stored()).toContain(`${source}:faq:5`);
    await fixture.admin.query(`DELETE FROM ${fixture.schema}.faq WHERE id = 5`);
    const kept = await sync({ table: "faq", detect_deletes: false });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body.deleted).toBe(0);
    expect(await stored()).toContain(`${source}:faq:5`);
    const detected = await sync({ table: "faq" });
    expect(detected.status).toBe(200);
    expect(detected.body.deleted).toBe(1);
    expect(await stored()).not.toContain(`${source}:faq:5`);
  });
});
