import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { auditTable, syncTable } from "../../../core/sync/index.js";
import { createIngestApp } from "../../../functions/http/ingest.js";
import { createSearchApp } from "../../../functions/http/search.js";
import { createTestContext } from "../../support/app-context.js";
import { type JsonBody, readJson } from "../../support/http.js";
import { expectKeywordIndexInStep, keywordRows } from "../../support/keyword-oracle.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

// Thirty lamps described alike, each with its own SKU: a code means nothing to an embedding, so
// only the keyword side can single one out.
const colours = ["amber", "slate", "ivory", "olive", "coral", "navy"];
const lamps = Array.from({ length: 30 }, (_, index) => ({
  id: index + 1,
  sku: `SKU-LM-${String(4100 + index * 37)}`,
  name: `${colours[index % colours.length]} desk lamp ${index + 1}`,
  description: `A ${colours[index % colours.length]} desk lamp with a dimmable LED head and a weighted base, ${20 + index} cm tall.`,
  category: index % 2 === 0 ? "lighting" : "office",
}));
const manual = Array.from(
  { length: 40 },
  (_, index) => `Step ${index + 1}: tighten the hinge screw and check the cable clip before the next part.`,
).join(" ");

describe("hybrid retrieval: a PostgreSQL full-text index beside the vectors, on the real services", () => {
  const run = uniqueName("hy").replace(/-/g, "_");
  const source = `hybrid_${run}`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE lamps (id int PRIMARY KEY, sku text, name text, description text, category text);
       CREATE TABLE manuals (id int PRIMARY KEY, title text, body text);`,
    );
    for (const lamp of lamps) {
      await fixture.admin.query(`INSERT INTO ${fixture.schema}.lamps VALUES ($1, $2, $3, $4, $5)`, [
        lamp.id,
        lamp.sku,
        lamp.name,
        lamp.description,
        lamp.category,
      ]);
    }
    await fixture.admin.query(`INSERT INTO ${fixture.schema}.manuals VALUES (1, 'Lamp assembly manual', $1)`, [manual]);
    await fixture.admin.query(
      `INSERT INTO ${fixture.schema}.manuals VALUES (2, 'Warranty', 'Two years on parts, one on the LED.')`,
    );
    context = createTestContext({
      REDIS_KEY_PREFIX: `${run}:`,
      // Small chunks, so the manual is several chunks of one row.
      CHUNK_MAX_TOKENS: "48",
      CHUNK_OVERLAP_TOKENS: "8",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    const ingest = createIngestApp(() => context);
    for (const [table, fields] of [
      ["lamps", { columns_or_fields: ["sku", "category"], text_fields: ["sku", "name", "description"] }],
      ["manuals", { text_fields: ["title", "body"] }],
    ] as const) {
      const response = await ingest.request("/ingest-data", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ source, table_or_collection: table, ...fields }),
      });
      expect(response.status, JSON.stringify(await response.clone().json())).toBe(200);
    }
  });

  afterAll(async () => {
    await releaseRun(context, { sources: [source], redisPrefix: `${run}:` });
    await fixture?.drop();
  });

  const search = async (body: Record<string, unknown>, target: AppContext = context) => {
    const response = await createSearchApp(() => target).request("/search", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ filters: { source }, ...body }),
    });
    return { status: response.status, body: (await readJson(response)) as JsonBody };
  };
  const ids = (body: JsonBody) => body.results.map((result: { id: string }) => result.id);

  const ingestLamps = (target: AppContext = context) =>
    createIngestApp(() => target).request("/ingest-data", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        source,
        table_or_collection: "lamps",
        columns_or_fields: ["sku", "category"],
        text_fields: ["sku", "name", "description"],
      }),
    });

  it("indexes every stored chunk, with the same ids, text, metadata and hashes as the vectors", async () => {
    const chunks = await expectKeywordIndexInStep(context, source);
    expect(chunks).toBeGreaterThan(32);
    expect((await ingestLamps()).status).toBe(200);
    expect(await expectKeywordIndexInStep(context, source)).toBe(chunks);
  });

  it("finds an exact SKU first in hybrid mode that vector search alone ranks below the top five", async () => {
    const target = lamps[17];
    const query = { query: target?.sku, max_results: 10 };
    const vector = await search({ ...query, mode: "vector" });
    expect(vector.status).toBe(200);
    const vectorRank = ids(vector.body).indexOf(`${source}:lamps:${target?.id}`);
    expect(vectorRank === -1 || vectorRank >= 5, `vector rank ${vectorRank}`).toBe(true);

    const hybrid = await search({ ...query, mode: "hybrid" });
    expect(hybrid.status).toBe(200);
    expect(hybrid.body.mode).toBe("hybrid");
    expect(hybrid.body.warnings).toBeUndefined();
    const [first] = hybrid.body.results;
    expect(first.id).toBe(`${source}:lamps:${target?.id}`);
    expect(first.matched_by).toContain("keyword");
    expect(first.keyword_rank).toBe(1);
    expect(first.keyword_score).toBeGreaterThan(0);

    const keyword = await search({ ...query, mode: "keyword" });
    expect(keyword.body.results[0].id).toBe(`${source}:lamps:${target?.id}`);
    expect(keyword.body.results[0]).toMatchObject({ matched_by: ["keyword"], vector_similarity: null });
  });

  it("puts the rows holding an identifier verbatim first, its own case first, however its parts are spread elsewhere", async () => {
    const keywords = context.keywords;
    if (!keywords) throw new Error("the keyword index is configured in tests");
    const flags = `${source}_ids`;
    const row = (key: string, text: string) => ({
      id: `${flags}:flags:${key}`,
      document: text,
      metadata: { source: flags, table: "flags", row_key: key },
    });
    // Short rows dense with the identifier's parts: an OR of `rwf | append` ranks them above the real one.
    await keywords.upsert(flags, [
      row("exact", "The flag RWF_APPEND makes pwritev2 write at the end of the file, whatever the file offset says."),
      // Verbatim in another case, and denser: after the row in the query's own case, before the rest.
      row("othercase", "rwf_append: rwf_append append"),
      ...["rwf append", "append rwf", "append append rwf", "rwf rwf append"].map((text, index) =>
        row(`spam${index}`, text),
      ),
    ]);
    try {
      for (const mode of ["keyword", "hybrid"]) {
        const { status, body } = await search({ query: "RWF_APPEND", mode, filters: { source: flags } });
        expect(status).toBe(200);
        expect(ids(body).slice(0, 2), mode).toEqual([`${flags}:flags:exact`, `${flags}:flags:othercase`]);
        expect(body.results[0].relevance_score).toBeGreaterThan(body.results[1].relevance_score);
        expect(body.results[1].relevance_score).toBeGreaterThan(body.results[2].relevance_score);
      }
      // Words are not identifiers: no verbatim bonus, plain ranking.
      const words = await search({ query: "append", mode: "keyword", filters: { source: flags } });
      expect(words.body.results[0].relevance_score).toBeLessThan(1);
    } finally {
      await keywords.deleteSource(flags);
    }
  });

  it("explains each hybrid result: fused score, cosine when the vector side found it, keyword rank when that side did", async () => {
    const { body } = await search({ query: "a dimmable navy desk lamp", max_results: 8, mode: "hybrid" });
    expect(body.results.length).toBe(8);
    const scores = body.results.map((result: { relevance_score: number }) => result.relevance_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const result of body.results) {
      expect(result.matched_by.length).toBeGreaterThan(0);
      expect(result.vector_similarity === null).toBe(!result.matched_by.includes("vector"));
      expect(result.keyword_rank === null).toBe(!result.matched_by.includes("keyword"));
      expect(result.relevance_score).toBeGreaterThanOrEqual(0);
      expect(result.relevance_score).toBeLessThanOrEqual(1);
    }
    expect(body.results.some((result: { matched_by: string[] }) => result.matched_by.length === 2)).toBe(true);
  });

  it("applies the same filters on both sides", async () => {
    for (const mode of ["hybrid", "keyword", "vector"]) {
      const { status, body } = await search({
        query: "desk lamp LED",
        max_results: 20,
        mode,
        filters: { source, table: "lamps", category: { $in: ["office"] } },
      });
      expect(status).toBe(200);
      expect(body.results.length).toBeGreaterThan(0);
      for (const result of body.results) expect(result.metadata).toMatchObject({ table: "lamps", category: "office" });
    }
    const none = await search({ query: "desk lamp", mode: "keyword", filters: { source: `${source}_other` } });
    expect(none.body.results).toEqual([]);
  });

  it("collapses the chunks of one row into its best chunk unless asked not to", async () => {
    const query = { query: "tighten the hinge screw and the cable clip", max_results: 5, mode: "hybrid" };
    const grouped = await search({ ...query, filters: { source, table: "manuals" } });
    const rowKeys = grouped.body.results.map((result: { metadata: { row_key: string } }) => result.metadata.row_key);
    expect(new Set(rowKeys).size).toBe(rowKeys.length);
    const chunks = await search({ ...query, group_by_row: false, filters: { source, table: "manuals" } });
    const manualChunks = chunks.body.results.filter((result: JsonBody) => result.metadata.row_key === "1");
    expect(manualChunks.length).toBeGreaterThan(1);
  });

  it("answers any query text: operators, stop words, SQL, NUL, lone surrogates, 2,000 characters", async () => {
    const texts = [
      "the of and a",
      "&",
      "| ! :* & <-> ( )",
      "lamp:* & !base",
      "'; DROP TABLE keyword_chunks; --",
      "SKU\u0000LM",
      "lamp \ud800 base",
      "\\ back\\slash 'quote' \"double\"",
      "x".repeat(2_000),
      "lamp ".repeat(400),
    ];
    for (const mode of ["keyword", "hybrid"]) {
      for (const query of texts) {
        const { status, body } = await search({ query, mode });
        expect([200, 400], `${mode} ${JSON.stringify(query.slice(0, 40))}: ${status}`).toContain(status);
        if (status === 400) expect(body.error.message).toBeTruthy();
      }
    }
    for (const filters of [
      { source, category: "off\u0000ice" },
      { source, "cat\u0000egory": { $in: ["a\ud800b", "office"] } },
      { source: { $in: [source, "x\u0000y"] }, "t\u0000able": "lamps" },
    ]) {
      // Lone surrogates are refused up front (400); NUL reaches both stores and matches nothing.
      const { status } = await search({ query: "desk lamp", mode: "hybrid", filters });
      expect([200, 400], JSON.stringify(filters)).toContain(status);
      if (!JSON.stringify(filters).includes("\\ud")) expect(status, JSON.stringify(filters)).toBe(200);
    }
    const stopWords = await search({ query: "the of and a", mode: "keyword" });
    expect(stopWords.status).toBe(200);
    expect(stopWords.body.results).toEqual([]);
    expect(await keywordRows(source)).not.toHaveLength(0);
  });

  it("stays in step through sync (edit, metadata-only change, delete) and a table delete", async () => {
    await fixture.admin.query(
      `UPDATE ${fixture.schema}.lamps SET description = 'Now with a wireless charging pad in the base.' WHERE id = 3`,
    );
    await fixture.admin.query(`UPDATE ${fixture.schema}.lamps SET category = 'sale' WHERE id = 4`);
    await fixture.admin.query(`DELETE FROM ${fixture.schema}.lamps WHERE id IN (5, 6)`);
    const vectors = context.vectors;
    if (!vectors) throw new Error("chroma is configured in tests");
    const summary = await syncTable({ ...context, vectors }, { source, table: "lamps" });
    expect(summary).toMatchObject({ reembedded: 1, metadata_only: 1, deleted: 2 });
    await expectKeywordIndexInStep(context, source);
    const charging = await search({ query: "wireless charging pad", mode: "keyword" });
    expect(charging.body.results[0].id).toBe(`${source}:lamps:3`);

    await vectors.deleteTable(source, "manuals");
    await expectKeywordIndexInStep(context, source);
    expect((await keywordRows(source)).every((row) => !row.id.includes(":manuals:"))).toBe(true);
  });

  it("audits the keyword index against the vectors and repairs a planted difference", async () => {
    const vectors = context.vectors;
    const keywords = context.keywords;
    if (!vectors || !keywords) throw new Error("both stores are configured in tests");
    await keywords.deleteIds(source, [`${source}:lamps:7`]);
    await keywords.upsert(source, [
      { id: `${source}:lamps:ghost`, document: "a ghost lamp", metadata: { source, table: "lamps", row_key: "ghost" } },
    ]);
    const [lamp8] = await vectors.getRecords(source, [`${source}:lamps:8`]);
    if (!lamp8) throw new Error("lamp 8 is stored");
    await keywords.upsert(source, [{ ...lamp8, metadata: { ...lamp8.metadata, content_hash: "planted" } }]);

    const dependencies = { ...context, vectors };
    const report = await auditTable(dependencies, { source, table: "lamps" });
    expect(report.keyword_index).toMatchObject({
      missing: { count: 1, sample: [`${source}:lamps:7`] },
      extra: { count: 1, sample: [`${source}:lamps:ghost`] },
      stale: { count: 1, sample: [`${source}:lamps:8`] },
      repaired: null,
    });
    const repaired = await auditTable(dependencies, { source, table: "lamps", repair: true });
    expect(repaired.keyword_index?.repaired).toEqual({ indexed: 2, deleted: 1 });
    await expectKeywordIndexInStep(context, source);
    const clean = await auditTable(dependencies, { source, table: "lamps" });
    expect(clean.keyword_index).toMatchObject({ missing: { count: 0 }, extra: { count: 0 }, stale: { count: 0 } });
  });

  it("empties both stores when a source is deleted", async () => {
    const other = `${source}_gone`;
    const vectors = context.vectors;
    if (!vectors) throw new Error("chroma is configured in tests");
    const [record] = await vectors.getRecords(source, [`${source}:lamps:9`]);
    if (!record) throw new Error("lamp 9 is stored");
    await vectors.upsert(other, [
      { ...record, id: `${other}:lamps:9`, metadata: { ...record.metadata, source: other } },
    ]);
    expect(await keywordRows(other)).toHaveLength(1);
    await vectors.deleteSource(other);
    expect(await vectors.count(other)).toBe(0);
    expect(await keywordRows(other)).toEqual([]);
  });

  it("answers from vectors with a warning while the keyword index is down, and reports it in /health", async () => {
    // Nothing listens on port 1: a configured index whose database is down.
    const down = createTestContext({
      SEARCH_DATABASE_URL: "postgresql://chat:chat@127.0.0.1:1/chat_search_test",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    try {
      const hybrid = await search({ query: "navy desk lamp", mode: "hybrid" }, down);
      expect(hybrid.status).toBe(200);
      expect(hybrid.body.mode).toBe("vector");
      expect(hybrid.body.warnings.join(" ")).toMatch(/keyword index is unavailable/);
      expect(hybrid.body.results.length).toBeGreaterThan(0);
      const keyword = await search({ query: "navy desk lamp", mode: "keyword" }, down);
      expect(keyword.status).toBe(503);
      expect(JSON.stringify(keyword.body)).not.toContain("chat:chat");
      const { checkHealth } = await import("../../../core/health/index.js");
      const report = await checkHealth(down.healthProbes(), { timeoutMs: 3_000 });
      expect(report.components.keyword_index).toMatchObject({ status: "down", required: false });
      // A write the index cannot take fails the ingestion: the two stores never differ silently.
      const ingest = await ingestLamps(down);
      expect(ingest.status).toBe(503);
      expect(await ingest.json()).toMatchObject({ error: { details: { component: "keyword_index" } } });
    } finally {
      await down.close();
    }
  });

  it("works as before without SEARCH_DATABASE_URL: vector only, the index reported disabled", async () => {
    const plain = createTestContext({
      SEARCH_DATABASE_URL: "",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    try {
      const defaulted = await search({ query: "navy desk lamp" }, plain);
      expect(defaulted.status).toBe(200);
      expect(defaulted.body.mode).toBe("vector");
      expect(defaulted.body.warnings).toBeUndefined();
      const keyword = await search({ query: "navy desk lamp", mode: "keyword" }, plain);
      expect(keyword.status).toBe(400);
      expect(keyword.body.error.message).toMatch(/SEARCH_DATABASE_URL/);
      const { checkHealth } = await import("../../../core/health/index.js");
      const report = await checkHealth(plain.healthProbes(), { timeoutMs: 3_000 });
      expect(report.components.keyword_index?.status).toBe("disabled");
    } finally {
      await plain.close();
    }
  });
});
