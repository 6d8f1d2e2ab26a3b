import pg from "pg";
import type { Embedder } from "../../core/embeddings/index.js";
import { corpusSchema } from "./corpus.js";

/** Characters of a page's DESCRIPTION each copy keeps: about 120 tokens, one chunk per row. */
const copyChars = 600;
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

/** The start of a page's text with about one word in ten dropped, tagged with which copy it is. */
function copyText(page: string, body: string, copy: number): string {
  const random = generator(copy * 7_919 + page.length);
  const start = body.length <= copyChars ? body : body.slice(0, body.lastIndexOf(" ", copyChars));
  const words = start.split(" ").filter(() => random() >= 0.1);
  return `[copy ${copy} of ${page}] ${words.join(" ")}`;
}

/**
 * retrieval_eval.<table>_noise_<rows>: `rows` near-copies of the corpus pages (page i mod n, copy
 * i div n), each one chunk long, so a source of `rows` chunks can be built from a corpus of two
 * thousand pages. Recreated when its row count differs.
 */
export async function ensureNoiseTable(postgresUrl: string, corpusTable: string, rows: number): Promise<string> {
  const table = `${corpusTable}_noise_${rows}`;
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
          copyText(origin.page, origin.body, Math.floor((ids[index] ?? 0) / pages.length)),
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

  /** Embeds each page's copied text once with the real model. */
  async prepare(postgresUrl: string, corpusTable: string): Promise<void> {
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
    const pages = (
      await pool.query<{ page: string; body: string }>(
        `SELECT page, body FROM ${corpusSchema}.${corpusTable} ORDER BY page`,
      )
    ).rows;
    await pool.end();
    for (let start = 0; start < pages.length; start += 64) {
      const slice = pages.slice(start, start + 64);
      const vectors = await this.real.embed(slice.map((page) => `body: ${copyText(page.page, page.body, 0)}`));
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
