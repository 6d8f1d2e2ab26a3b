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
 * The ranking computed here, by the rule docs/retrieval.md states: the chunks holding every query word,
 * and only when they are fewer than `k` (or `fallbackBelow`), with `mostWords` (GIN) those holding all but one,
 * and only when those are still too few, those holding some of them too; all scored by length-normalised
 * ts_rank against the OR of the words. With `pool`, each set is the RUM index's best `pool` matches by
 * its own distance.
 */
async function oracle(
  url: string,
  query: string,
  k: number,
  options: { shelf?: string; pool?: number; everyMatch?: boolean; fallbackBelow?: number; mostWords?: boolean } = {},
) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const matches = async (words: string, excluding?: string) => {
    const { rows } = await client.query<{ id: string; score: number }>(
      `select id, ts_rank(tsv, to_tsquery('english', $2), 1)::float8 as score
       from (select id, tsv from keyword_chunks, to_tsquery('english', $3) q
             where source = $1 and tsv @@ q and ($4::text is null or metadata->>'shelf' = $4)
               and ($5::text is null or not tsv @@ to_tsquery('english', $5))
             ${options.pool ? "order by tsv <=> q limit $6" : ""}) c`,
      [
        source,
        query.split(" ").join(" | "),
        words,
        options.shelf ?? null,
        excluding ?? null,
        ...(options.pool ? [options.pool] : []),
      ],
    );
    return rows;
  };
  try {
    const any = query.split(" ").join(" | ");
    if (options.everyMatch) return (await matches(any)).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    const terms = query.split(" ");
    const every = terms.join(" & ");
    const candidates = await matches(every);
    const below = Math.min(options.fallbackBelow ?? k, k);
    let found = every;
    if (candidates.length < below && options.mostWords && terms.length >= 3) {
      // GIN: the chunks holding all the words but one, before those holding some.
      found = terms.map((_, index) => `(${terms.filter((__, other) => other !== index).join(" & ")})`).join(" | ");
      candidates.push(...(await matches(found, every)));
    }
    if (candidates.length < below) candidates.push(...(await matches(any, found)));
    return candidates.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
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
      const all = await oracle(url(), "walnut", 10);
      expect(all.length).toBe(700);
      expect(ranked(await exhaustive.query("walnut", { k: 10, filters: { source } }))).toEqual(
        ranked(all.slice(0, 10)),
      );
      const odd = await oracle(url(), "quiet oak desk", 25, { shelf: "odd", mostWords: expected === "gin" });
      expect(odd.length).toBeGreaterThan(25);
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
        const expectedRanking = await oracle(url(), query, 10, {
          pool,
          mostWords: expected === "gin",
          ...("shelf" in filters ? { shelf: "odd" } : {}),
        });
        expect(ranked(await index.query(query, { k: 10, filters }))).toEqual(ranked(expectedRanking.slice(0, 10)));
      }
    });

    it("ranks only the chunks holding every word when there are k of them, as every match would have", async () => {
      // Ranking every match is the reference: the shortcut must not change the top of it here.
      const holdingEveryWord = await oracle(url(), "quiet oak desk", 10, { mostWords: expected === "gin" });
      const everyMatch = await oracle(url(), "quiet oak desk", 10, { everyMatch: true });
      expect(everyMatch.length).toBeGreaterThan(holdingEveryWord.length);
      expect(holdingEveryWord.length).toBeGreaterThanOrEqual(10);
      const found = await exhaustive.query("quiet oak desk", { k: 10, filters: { source } });
      expect(ranked(found)).toEqual(ranked(everyMatch.slice(0, 10)));
    });

    it("with fallbackBelow under k, returns up to k chunks holding every word when at least fallbackBelow do", async () => {
      // k = every chunk (all 700 hold "walnut"), more than hold all three words.
      const holdingEveryWord = await oracle(url(), "quiet oak desk", 700, {
        fallbackBelow: 10,
        mostWords: expected === "gin",
      });
      expect(holdingEveryWord.length).toBeGreaterThanOrEqual(10);
      expect(holdingEveryWord.length).toBeLessThan(650);
      const found = await exhaustive.query("quiet oak desk", { k: 700, fallbackBelow: 10, filters: { source } });
      expect(ranked(found)).toEqual(ranked(holdingEveryWord));
      expect(found.every((match) => ["quiet", "oak", "desk"].every((word) => match.content.includes(word)))).toBe(true);
      // Without it, k is the threshold: the chunks holding some of the words are ranked too.
      const everyMatch = await oracle(url(), "quiet oak desk", 700, { everyMatch: true });
      expect(everyMatch.length).toBeGreaterThan(holdingEveryWord.length);
      expect((await exhaustive.query("quiet oak desk", { k: 700, filters: { source } })).length).toBe(
        everyMatch.length,
      );
    });

    it(`${expected === "gin" ? "ranks the chunks holding all words but one before" : "falls back straight to"} those holding some, when too few hold every word`, async () => {
      const record = (id: string, document: string) => ({
        id,
        document,
        metadata: { source, table: "items", row_key: id, shelf: "rare" },
      });
      const rare = [
        record("all-0", "mahogany teak ebony chair"),
        record("all-1", "mahogany teak ebony bench"),
        record("two-0", "mahogany teak stool"),
        record("two-1", "mahogany teak table"),
        record("two-2", "ebony teak tray"),
        record("one-0", "ebony box"),
        record("one-1", "teak box"),
        record("one-2", "mahogany box"),
      ];
      await index.upsert(source, rare);
      try {
        const ids = async (fallbackBelow: number) =>
          (await exhaustive.query("mahogany teak ebony", { k: 10, fallbackBelow, filters: { source } }))
            .map((match) => match.id)
            .sort();
        const twoOrMore = ["all-0", "all-1", "two-0", "two-1", "two-2"];
        const every = [...twoOrMore, "one-0", "one-1", "one-2"].sort();
        // Two hold every word, three more all but one: with GIN five are enough below 5, not below 6.
        expect(await ids(2)).toEqual(["all-0", "all-1"]);
        expect(await ids(5)).toEqual(expected === "gin" ? twoOrMore : every);
        expect(await ids(6)).toEqual(every);
        const found = await exhaustive.query("mahogany teak ebony", { k: 10, fallbackBelow: 5, filters: { source } });
        const oracleRanking = await oracle(url(), "mahogany teak ebony", 10, {
          fallbackBelow: 5,
          mostWords: expected === "gin",
        });
        expect(ranked(found)).toEqual(ranked(oracleRanking));
      } finally {
        await index.deleteIds(
          source,
          rare.map((row) => row.id),
        );
      }
    });

    it("fills up from chunks holding some of the words when fewer than k hold them all", async () => {
      const rare = [0, 1, 2].map((index) => ({
        id: `rare-${index}`,
        document: `mahogany desk number ${index}`,
        metadata: { source, table: "items", row_key: `rare-${index}`, shelf: "rare" },
      }));
      await index.upsert(source, rare);
      try {
        const found = await exhaustive.query("mahogany desk", { k: 10, filters: { source } });
        expect(found).toHaveLength(10);
        expect(
          found
            .filter((match) => match.id.startsWith("rare-"))
            .map((match) => match.id)
            .sort(),
        ).toEqual(["rare-0", "rare-1", "rare-2"]);
        expect(ranked(found)).toEqual(ranked((await oracle(url(), "mahogany desk", 10)).slice(0, 10)));

        // Asked for 10 but to fall back only below 3 (as hybrid asks for candidates): the three that hold
        // both words are enough, and nothing holding one word alone is ranked.
        const enough = await exhaustive.query("mahogany desk", { k: 10, fallbackBelow: 3, filters: { source } });
        expect(enough.map((match) => match.id).sort()).toEqual(["rare-0", "rare-1", "rare-2"]);
        // Below 4 they are too few: the rest of the 10 come from chunks holding some of the words.
        const filled = await exhaustive.query("mahogany desk", { k: 10, fallbackBelow: 4, filters: { source } });
        expect(filled).toHaveLength(10);
        expect(ranked(filled)).toEqual(ranked(found));
      } finally {
        await index.deleteIds(
          source,
          rare.map((record) => record.id),
        );
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
