import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createIngestApp } from "../../../functions/http/ingest.js";
import { createSearchApp } from "../../../functions/http/search.js";
import { createTestContext } from "../../support/app-context.js";
import { type JsonBody, readJson } from "../../support/http.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

interface Result {
  id: string;
  relevance_score: number;
  matched_by: string[];
  vector_similarity: number | null;
  keyword_rank: number | null;
}

/** The warning docs/retrieval.md promises when hybrid is asked of a service without SEARCH_DATABASE_URL. */
const noIndexWarning = "hybrid search needs the keyword index (SEARCH_DATABASE_URL): these results are vector only";

describe("the retrieval a search gets: SEARCH_DEFAULT_MODE, hybrid without a keyword index, the fusion settings", {
  timeout: 120_000,
}, () => {
  const run = uniqueName("smode").replace(/-/g, "_");
  const source = `smode_${run}`;
  const id = (row: number) => `${source}:desks:${row}`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  const sourcesSetting = () =>
    JSON.stringify([{ name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema }]);

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE desks (id int PRIMARY KEY, name text, description text);
       INSERT INTO desks VALUES
         (1, 'Walnut standing desk', 'A height adjustable walnut standing desk with a memory keypad.'),
         (2, 'Oak writing desk', 'A compact oak writing desk for small rooms.'),
         (3, 'Mesh office chair', 'A breathable mesh chair with lumbar support and armrests.'),
         (4, 'Brass floor lamp', 'A tall brass floor lamp with a linen shade.');`,
    );
    // The keyword index is configured (the test settings' SEARCH_DATABASE_URL): ingestion writes both stores.
    context = createTestContext({ REDIS_KEY_PREFIX: `${run}:`, SOURCES: sourcesSetting() });
    const response = await createIngestApp(() => context).request("/ingest-data", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ source, table_or_collection: "desks", text_fields: ["name", "description"] }),
    });
    expect(response.status, JSON.stringify(await response.clone().json())).toBe(200);
  });

  afterAll(async () => {
    await releaseRun(context, { sources: [source], redisPrefix: `${run}:` });
    await fixture?.drop();
  });

  /** POST /search on a context built with these settings (closed afterwards). */
  async function searchWith(settings: Record<string, string>, body: Record<string, unknown>) {
    const target = createTestContext({ REDIS_KEY_PREFIX: `${run}:`, SOURCES: sourcesSetting(), ...settings });
    try {
      const response = await createSearchApp(() => target).request("/search", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "walnut standing desk", max_results: 5, filters: { source }, ...body }),
      });
      return { status: response.status, body: (await readJson(response)) as JsonBody };
    } finally {
      await target.close();
    }
  }
  const results = (body: JsonBody) => body.results as Result[];

  it("without SEARCH_DEFAULT_MODE, a search naming no mode is hybrid when the keyword index is configured", async () => {
    const { status, body } = await searchWith({}, {});
    expect(status).toBe(200);
    expect(body.mode).toBe("hybrid");
    expect(body.warnings).toBeUndefined();
    expect(results(body)[0]).toMatchObject({ id: id(1), matched_by: ["vector", "keyword"] });
  });

  it("SEARCH_DEFAULT_MODE=keyword makes a search naming no mode a keyword search", async () => {
    const { status, body } = await searchWith({ SEARCH_DEFAULT_MODE: "keyword" }, {});
    expect(status).toBe(200);
    expect(body.mode).toBe("keyword");
    const found = results(body);
    expect(found[0]?.id).toBe(id(1));
    // Only rows holding the query's words: the chair and the lamp share none of them.
    expect(found.map((result) => result.id).sort()).toEqual([id(1), id(2)]);
    for (const result of found) {
      expect(result).toMatchObject({ matched_by: ["keyword"], vector_similarity: null });
    }
    // A mode in the request still wins over the setting.
    const asked = await searchWith({ SEARCH_DEFAULT_MODE: "keyword" }, { mode: "vector" });
    expect(asked.body.mode).toBe("vector");
  });

  it("SEARCH_DEFAULT_MODE=vector makes a search naming no mode a vector search, the index configured or not", async () => {
    const variants: Record<string, string>[] = [
      { SEARCH_DEFAULT_MODE: "vector" },
      { SEARCH_DEFAULT_MODE: "vector", SEARCH_DATABASE_URL: "" },
    ];
    for (const settings of variants) {
      const { status, body } = await searchWith(settings, {});
      expect(status).toBe(200);
      expect(body.mode).toBe("vector");
      expect(body.warnings).toBeUndefined();
      const found = results(body);
      // Vector search ranks every row, words or not.
      expect(found.map((result) => result.id).sort()).toEqual([id(1), id(2), id(3), id(4)]);
      for (const result of found) expect(result).toMatchObject({ matched_by: ["vector"], keyword_rank: null });
    }
  });

  it("without SEARCH_DATABASE_URL, asking hybrid answers 200 from vectors with the warning", async () => {
    const { status, body } = await searchWith({ SEARCH_DATABASE_URL: "" }, { mode: "hybrid" });
    expect(status).toBe(200);
    expect(body.mode).toBe("vector");
    expect(body.warnings).toEqual([noIndexWarning]);
    const found = results(body);
    expect(found.map((result) => result.id).sort()).toEqual([id(1), id(2), id(3), id(4)]);
    expect(found[0]?.id).toBe(id(1));
    for (const result of found) expect(result).toMatchObject({ matched_by: ["vector"], keyword_rank: null });
  });

  it("without SEARCH_DATABASE_URL, SEARCH_DEFAULT_MODE=hybrid gives the same warning; =keyword is a 400 naming the setting", async () => {
    const hybrid = await searchWith({ SEARCH_DATABASE_URL: "", SEARCH_DEFAULT_MODE: "hybrid" }, {});
    expect(hybrid.status).toBe(200);
    expect(hybrid.body.mode).toBe("vector");
    expect(hybrid.body.warnings).toEqual([noIndexWarning]);
    expect(results(hybrid.body)).toHaveLength(4);
    const keyword = await searchWith({ SEARCH_DATABASE_URL: "", SEARCH_DEFAULT_MODE: "keyword" }, {});
    expect(keyword.status).toBe(400);
    expect(keyword.body.error.message).toMatch(/SEARCH_DATABASE_URL/);
  });

  /** The ids a one-sided search ranks, best first: what hybrid fuses. */
  const ranking = async (mode: "vector" | "keyword") =>
    results((await searchWith({}, { mode })).body).map((result) => result.id);

  it("HYBRID_FUSION=rrf with HYBRID_RRF_K=10: each score is Σ 1/(10 + rank) over the vector and keyword rankings", async () => {
    const vector = await ranking("vector");
    const keyword = await ranking("keyword");
    expect(vector).toHaveLength(4);
    expect(keyword).toHaveLength(2);
    const rrf = (list: string[], item: string) => (list.includes(item) ? 1 / (10 + list.indexOf(item) + 1) : 0);
    const round = (value: number) => Math.round(value * 1e6) / 1e6;
    const expected = vector
      .map((item) => [item, round(rrf(vector, item) + rrf(keyword, item))] as const)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    const { status, body } = await searchWith({ HYBRID_FUSION: "rrf", HYBRID_RRF_K: "10" }, { mode: "hybrid" });
    expect(status).toBe(200);
    expect(results(body).map((result) => [result.id, result.relevance_score])).toEqual(expected);
  });

  it("HYBRID_VECTOR_WEIGHT=1 gives the vector ranking; 0 puts the keyword side's best first", async () => {
    const vector = await ranking("vector");
    const keyword = await ranking("keyword");
    const allVector = await searchWith({ HYBRID_VECTOR_WEIGHT: "1" }, { mode: "hybrid" });
    expect(results(allVector.body).map((result) => result.id)).toEqual(vector);
    // min-max scaled, the vector side's best is 1 and its worst 0: with all the weight, those are the scores.
    expect(results(allVector.body)[0]?.relevance_score).toBe(1);
    expect(results(allVector.body).at(-1)?.relevance_score).toBe(0);
    const allKeyword = await searchWith({ HYBRID_VECTOR_WEIGHT: "0" }, { mode: "hybrid" });
    expect(results(allKeyword.body)[0]).toMatchObject({ id: keyword[0], relevance_score: 1 });
    expect(
      results(allKeyword.body)
        .slice(1)
        .map((result) => result.relevance_score),
    ).toEqual([0, 0, 0]);
  });
});
