import type pg from "pg";
import { createPostgresPool } from "../sources/index.js";
import type { SyncTarget } from "../sync/target.js";

/**
 * What CDC keeps between calls, owned by the context that closes it: one small pool per source
 * for the slot queries (status, clean-up), and the tables it resolved, each built on first use.
 */
export class CdcResources {
  private readonly pools = new Map<string, pg.Pool>();
  /** Resolved tables by source, table and spec; see cachedTarget. */
  readonly targets = new Map<string, { target: SyncTarget; at: number }>();

  slotPool(connectionString: string): pg.Pool {
    let pool = this.pools.get(connectionString);
    if (!pool) {
      pool = createPostgresPool(connectionString, { max: 1 });
      pool.on("error", () => undefined);
      this.pools.set(connectionString, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const open = [...this.pools.values()];
    this.pools.clear();
    this.targets.clear();
    await Promise.allSettled(open.map((pool) => pool.end()));
  }
}
