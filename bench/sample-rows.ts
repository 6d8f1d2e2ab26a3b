import type pg from "pg";
import { sampleTexts } from "./embed.bench.js";

/**
 * Fills a table with `count` rows of ~60-token text, ids 0 to count - 1, 5,000 rows a statement.
 * @example await insertSampleRows(admin, 50_000, "INSERT INTO bench.ingest SELECT * FROM unnest($1::int[], $2::text[])")
 */
export async function insertSampleRows(admin: pg.Pool, count: number, insert: string): Promise<void> {
  const texts = sampleTexts(count);
  for (let start = 0; start < count; start += 5_000) {
    const slice = texts.slice(start, start + 5_000);
    await admin.query(insert, [slice.map((_, offset) => start + offset), slice]);
  }
}
