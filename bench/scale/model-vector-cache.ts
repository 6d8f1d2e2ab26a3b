import { createHash } from "node:crypto";
import pg from "pg";
import type { Embedder } from "../../core/embeddings/index.js";
import { corpusSchema } from "../retrieval/corpus.js";

const cacheTable = `${corpusSchema}.scale_model_vectors`;

/**
 * The model, with each text's vector kept in PostgreSQL once computed: the replica embedder asks for the
 * same ~1,800 page vectors on every run, which costs the model minutes on a loaded machine and would
 * eat into the time the million-vector run has. Keyed by model and the text's SHA-256.
 */
export class ModelVectorCache implements Embedder {
  readonly model: string;
  readonly dimension: number;
  readonly maxTokens: number;
  /** Texts the model embedded in this process (the rest came from the cache). */
  embedded = 0;
  private readonly pool: pg.Pool;
  private table: Promise<unknown> | undefined;

  constructor(
    private readonly real: Embedder,
    postgresUrl: string,
  ) {
    this.model = real.model;
    this.dimension = real.dimension;
    this.maxTokens = real.maxTokens;
    this.pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const keys = texts.map((text) => createHash("sha256").update(`${this.model}\n${text}`).digest("hex"));
    const pool = this.pool;
    // One pool and one CREATE for the whole preparation, not one per batch of texts.
    this.table ??= pool.query(
      `CREATE TABLE IF NOT EXISTS ${cacheTable} (key text PRIMARY KEY, vector real[] NOT NULL)`,
    );
    await this.table;
    const { rows } = await pool.query<{ key: string; vector: number[] }>(
      `SELECT key, vector FROM ${cacheTable} WHERE key = any($1::text[])`,
      [keys],
    );
    const cached = new Map<string, Float32Array>(rows.map((row) => [row.key, Float32Array.from(row.vector)]));
    const missing = keys.flatMap((key, index) => (cached.has(key) ? [] : [index]));
    if (missing.length) {
      const computed = await this.real.embed(missing.map((index) => texts[index] ?? ""));
      this.embedded += missing.length;
      for (const [position, index] of missing.entries())
        cached.set(keys[index] ?? "", computed[position] as Float32Array);
      await pool.query(
        // Each vector as an array literal: unnest would flatten a two-dimensional array into numbers.
        `INSERT INTO ${cacheTable} SELECT key, vector::real[] FROM unnest($1::text[], $2::text[]) AS r(key, vector)
         ON CONFLICT (key) DO NOTHING`,
        [
          missing.map((index) => keys[index]),
          missing.map((index) => `{${Array.from(cached.get(keys[index] ?? "") ?? []).join(",")}}`),
        ],
      );
    }
    return keys.map((key) => cached.get(key) as Float32Array);
  }

  countTokens(texts: readonly string[]): Promise<number[]> {
    return this.real.countTokens(texts);
  }

  warmUp(): Promise<void> {
    return this.real.warmUp();
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
