import { createPostgresPool } from "../sources/index.js";
import { KeywordIndex } from "./keyword-index.js";

/** The keyword index over its own database; connections open on first use. */
export function createKeywordIndex(settings: {
  SEARCH_DATABASE_URL: string;
  SEARCH_TEXT_CONFIG: string;
  /** Default 200; 0 ranks every match. */
  SEARCH_RANK_POOL?: number;
  /** Default gin. */
  SEARCH_TEXT_INDEX?: "gin" | "rum";
}): KeywordIndex {
  // The model runs on the event loop's thread: a batch measured 14 s on a loaded 2-core machine, and a
  // connection being opened meanwhile would time out on the clock alone, failing the batch's write.
  const pool = createPostgresPool(settings.SEARCH_DATABASE_URL, { max: 4, connectionTimeoutMillis: 20_000 });
  // An idle connection dropped by the server must not end the process; the next query reconnects.
  pool.on("error", () => undefined);
  return new KeywordIndex(
    pool,
    settings.SEARCH_TEXT_CONFIG,
    settings.SEARCH_RANK_POOL ?? 200,
    settings.SEARCH_TEXT_INDEX ?? "gin",
  );
}
