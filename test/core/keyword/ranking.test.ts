import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComponentUnavailableError } from "../../../core/errors/index.js";
import { createKeywordIndex, type KeywordIndex } from "../../../core/keyword/index.js";
import { scratchDatabase } from "../../support/scratch-database.js";
import { testServices } from "../../support/services.js";

/**
 * The keyword index ranks by length-normalised ts_rank whichever text index the database has. With
 * RUM only a pool of the index's own best matches is ranked, so these tests hold its results to an
 * exhaustive ranking computed here, over more matches than the pool holds.
 */
const source = `kwrank${randomUUID().slice(0, 8)}`;
const words = ["walnut", "desk", "quiet", "oak", "lamp", "shelf", "drawer", "steel", "cable", "monitor"];

/** 700 chunks of 8–60 words, every one holding at least one query word, deterministic. */
function corpus() {
  let seed = 7;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: 700 }, (_, index) => {
    const length = 8 + Math.floor(next() * 52);
    const text = Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(" ");
    return {
      id: `row-${index}`,
      document: `${text} walnut`,
      metadata: { source, table: "items", row_key: String(index), shelf: index % 2 ? "odd" : "even" },
    };
  });
}

/**
 * The ranking computed here: length-normalised ts_rank over every match, or with `pool`, over the
 * RUM index's best `pool` matches by its own distance.
 */
async function oracle(url: string, query: string, options: { shelf?: string; pool?: number } = {}) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; score: number }>(
      `select id, ts_rank(tsv, q, 1)::float8 as score
       from (select id, tsv from keyword_chunks, to_tsquery('english', $2) q
             where source = $1 and tsv @@ q and ($3::text is null or metadata->>'shelf' = $3)
             ${options.pool ? "order by tsv <=> q limit $4" : ""}) c, to_tsquery('english', $2) q
       order by score desc, id`,
      [source, query.split(" ").join(" | "), options.shelf ?? null, ...(options.pool ? [options.pool] : [])],
    );
    return rows;
  } finally {
    await client.end();
  }
}

const ranked = (matches: { id: string; score: number }[]) =>
  matches.map(({ id, score }) => ({ id, score: Number(score.toFixed(6)) }));

function describeRanking(name: string, url: () => string, expected: "rum" | "gin") {
  describe(name, () => {
    let index: KeywordIndex;
    let exhaustive: KeywordIndex;

    beforeAll(async () => {
      const settings = { SEARCH_DATABASE_URL: url(), SEARCH_TEXT_CONFIG: "english", SEARCH_TEXT_INDEX: expected };
      index = createKeywordIndex(settings);
      exhaustive = createKeywordIndex({ ...settings, SEARCH_RANK_POOL: 0 });
      await index.upsert(source, corpus());
    });

    afterAll(async () => {
      await index?.deleteSource(source);
      await index?.close();
      await exhaustive?.close();
    });

    it(`says it ranks with ${expected}`, async () => {
      expect(await index.ping()).toMatch(new RegExp(`\\(english, ${expected}\\)$`));
    });

    it("with SEARCH_RANK_POOL 0, returns exactly the ranking of every match", async () => {
      // One query word: all 700 chunks match, more than the default pool of 200.
      const all = await oracle(url(), "walnut");
      expect(all.length).toBe(700);
      expect(ranked(await exhaustive.query("walnut", { k: 10, filters: { source } }))).toEqual(
        ranked(all.slice(0, 10)),
      );
      const odd = await oracle(url(), "quiet oak desk", { shelf: "odd" });
      expect(odd.length).toBeGreaterThan(300);
      const found = await exhaustive.query("quiet oak desk", { k: 25, filters: { source, shelf: "odd" } });
      expect(ranked(found)).toEqual(ranked(odd.slice(0, 25)));
      expect(found.every((match) => match.metadata.shelf === "odd")).toBe(true);
    });

    it(`by default, ranks ${expected === "rum" ? "the index's best 200 matches" : "every match"} by ts_rank`, async () => {
      const pool = expected === "rum" ? 200 : undefined;
      for (const [query, filters] of [
        ["walnut", { source }],
        ["quiet oak desk", { source, shelf: "odd" }],
      ] as const) {
        const expectedRanking = await oracle(url(), query, { pool, ...("shelf" in filters ? { shelf: "odd" } : {}) });
        expect(ranked(await index.query(query, { k: 10, filters }))).toEqual(ranked(expectedRanking.slice(0, 10)));
      }
    });
  });
}

/** The one test database with the rum extension (scripts/services/postgres.sh), so no other test writes through RUM. */
const rumUrl = () => {
  const url = new URL(testServices.searchUrl);
  url.pathname = "/chat_search_rum_test";
  return url.toString();
};
describeRanking("keyword ranking with SEARCH_TEXT_INDEX=rum", rumUrl, "rum");

// A database of its own, without the extension, as on a managed PostgreSQL that lacks it.
let ginDatabase: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
const ginUrl = () => ginDatabase?.url ?? "postgresql://unset";
describe("without the rum extension", () => {
  beforeAll(async () => {
    ginDatabase = await scratchDatabase("kwgin");
  });
  afterAll(async () => {
    await ginDatabase?.drop();
  });
  describeRanking("keyword ranking with GIN (the default)", ginUrl, "gin");

  it("refuses SEARCH_TEXT_INDEX=rum there as the index being unavailable, naming the setting", async () => {
    const index = createKeywordIndex({
      SEARCH_DATABASE_URL: ginUrl(),
      SEARCH_TEXT_CONFIG: "english",
      SEARCH_TEXT_INDEX: "rum",
    });
    try {
      const failure = await index.ping().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ComponentUnavailableError);
      expect((failure as Error).message).toContain("SEARCH_TEXT_INDEX=rum needs the rum extension");
    } finally {
      await index.close();
    }
  });
});
