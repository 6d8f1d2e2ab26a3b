import type pg from "pg";
import { createPostgresPool } from "../sources/index.js";

// One small pool per source for the slot queries CDC makes (status, clean-up), built on first use.
const pools = new Map<string, pg.Pool>();

export function slotPool(connectionString: string): pg.Pool {
  let pool = pools.get(connectionString);
  if (!pool) {
    pool = createPostgresPool(connectionString, { max: 1 });
    pool.on("error", () => undefined);
    pools.set(connectionString, pool);
  }
  return pool;
}

/** Closes the pools (tests, and a process that shuts down cleanly). */
export async function closeCdcPools(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  await Promise.allSettled(open.map((pool) => pool.end()));
}
