import pg from "pg";
import type { Embedder } from "../../core/embeddings/index.js";
import { corpusSchema } from "./corpus.js";

/** Characters of a page's DESCRIPTION each copy keeps at most: about 120 tokens of prose. */
const copyChars = 600;
/** Tokens a copy may have, so every copy stays one chunk (the tag the embedder reads is in its only chunk). */
const copyTokens = 200;
/** Bumped when copies change, so a stored noise table from older code is rebuilt. */
const noiseVersion = 2;
/** Per-dimension noise: cosine to the page's own vector about 0.9 (1/√(1 + 384σ²)). */
const sigma = 0.025;

/** A deterministic generator (LCG), so the noise source is the same on every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * random());
}

/** A page's start with about one word in ten dropped, tagged with which copy it is. */
function copyText(page: string, start: string, copy: number): string {
  const random = generator(copy * 7_919 + page.length);
  const words = start.split(" ").filter(() => random() >= 0.1);
  return `[copy ${copy} of ${page}] ${words.join(" ")}`;
}

type TokenCounter = (texts: readonly string[]) => Promise<number[]>;

/**
 * Each page's start: at most `copyChars` characters, shortened word by word until the whole copy
 * (tag and field label included) fits `copyTokens`; token-dense pages (option tables, cipher
 * names) would otherwise become two chunks, the second without its tag.
 */
async function pageStarts(pages: { page: string; body: string }[], countTokens: TokenCounter) {
  const starts = new Map<string, string>();
  for (const { page, body } of pages) {
    let start = body.length <= copyChars ? body : body.slice(0, body.lastIndexOf(" ", copyChars));
    for (;;) {
      const [tokens = 0] = await countTokens([`body: ${copyText(page, start, 99_999)}`]);
      const shorter = start.lastIndexOf(" ", Math.floor(start.length * 0.8));
      if (tokens <= copyTokens || shorter <= 0) break;
      start = start.slice(0, shorter);
    }
    starts.set(page, start);
  }
  return starts;
}

/**
 * retrieval_eval.<table>_noise_<rows>: `rows` near-copies of the corpus pages (page i mod n, copy
 * i div n), each one chunk long, so a source of `rows` chunks can be built from a corpus of two
 * thousand pages. Recreated when its row count differs.
 */
export async function ensureNoiseTable(
  postgresUrl: string,
  corpusTable: string,
  rows: number,
  countTokens: TokenCounter,
): Promise<string> {
  const table = `${corpusTable}_noise${noiseVersion}_${rows}`;
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
  try {
    const exists = await pool.query("SELECT to_regclass($1) AS name", [`${corpusSchema}.${table}`]);
    if (exists.rows[0]?.name) {
      const count = await pool.query<{ count: string }>(`SELECT count(*) FROM ${corpusSchema}.${table}`);
      if (Number(count.rows[0]?.count) === rows) return table;
    }
    const pages = (
      await pool.query<{ page: string; body: string }>(
        `SELECT page, body FROM ${corpusSchema}.${corpusTable} ORDER BY page`,
      )
    ).rows;
    const starts = await pageStarts(pages, countTokens);
    await pool.query(`DROP TABLE IF EXISTS ${corpusSchema}.${table}`);
    await pool.query(
      `CREATE TABLE ${corpusSchema}.${table} (id int PRIMARY KEY, page text NOT NULL, body text NOT NULL)`,
    );
    for (let start = 0; start < rows; start += 5_000) {
      const ids = Array.from({ length: Math.min(5_000, rows - start) }, (_, offset) => start + offset);
      const origins = ids.map((id) => pages[id % pages.length] as { page: string; body: string });
      await pool.query(`INSERT INTO ${corpusSchema}.${table} SELECT * FROM unnest($1::int[], $2::text[], $3::text[])`, [
        ids,
        origins.map((origin) => origin.page),
        origins.map((origin, index) =>
          copyText(origin.page, starts.get(origin.page) ?? "", Math.floor((ids[index] ?? 0) / pages.length)),
        ),
      ]);
    }
    return table;
  } finally {
    await pool.end();
  }
}

/**
 * Stands in for the model while the noise source loads: a copy's vector is the model's vector of
 * its page's text plus Gaussian noise, re-normalised, so 100,000 stored vectors take seconds to
 * make and sit where real ones would. Queries still go through the real model.
 */
export class ReplicaEmbedder implements Embedder {
  readonly model: string;
  readonly dimension: number;
  readonly maxTokens: number;
  private readonly bases = new Map<string, Float32Array>();

  constructor(private readonly real: Embedder) {
    this.model = real.model;
    this.dimension = real.dimension;
    this.maxTokens = real.maxTokens;
  }

  /** Embeds each page's copy 0 (as stored in the noise table) once with the real model. */
  async prepare(postgresUrl: string, noiseTable: string): Promise<void> {
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
    const pages = (
      await pool.query<{ page: string; body: string }>(
        `SELECT DISTINCT ON (page) page, body FROM ${corpusSchema}.${noiseTable} ORDER BY page, id`,
      )
    ).rows;
    await pool.end();
    for (let start = 0; start < pages.length; start += 64) {
      const slice = pages.slice(start, start + 64);
      const vectors = await this.real.embed(slice.map((page) => `body: ${page.body}`));
      for (const [index, page] of slice.entries()) this.bases.set(page.page, vectors[index] as Float32Array);
    }
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => {
      const match = /\[copy (\d+) of ([^\]]+)\]/.exec(text);
      const base = match ? this.bases.get(match[2] ?? "") : undefined;
      if (!match || !base) throw new Error(`not a copy of a prepared page: ${text.slice(0, 80)}`);
      const random = generator(Number(match[1]) * 104_729 + text.length);
      const vector = base.map((value) => value + sigma * gaussian(random));
      const norm = Math.hypot(...vector);
      return vector.map((value) => value / norm);
    });
  }

  countTokens(texts: readonly string[]): Promise<number[]> {
    return this.real.countTokens(texts);
  }

  async warmUp(): Promise<void> {}

  async close(): Promise<void> {}
}
