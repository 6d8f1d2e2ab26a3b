import type { Redis } from "ioredis";
import { ensureRedisReady } from "../redis/index.js";

/**
 * A counter per Chroma collection that every writer of this service raises after it wrote, so a
 * copy of a collection held in memory (small-collections.ts) can tell whether it is still what
 * Chroma holds. Chroma itself reports no version of a local collection that could serve.
 */
export interface CollectionVersions {
  /** The current version of each collection, or undefined when they cannot be read now. */
  read(names: readonly string[]): Promise<Map<string, string> | undefined>;
  /** Raised after a write to `name`; a failure is swallowed (copies also expire by age). */
  bump(name: string): Promise<void>;
}

/** The Redis hash of a Chroma database's collection versions. */
export function collectionVersionsKey(chroma: { tenant: string; database: string }): string {
  return `cwd:vector-versions:${chroma.tenant}/${chroma.database}`;
}

/**
 * The counters in one Redis hash per Chroma database, outside REDIS_KEY_PREFIX: every process
 * writing a collection must raise the counter every reader looks at, whatever prefix it runs with.
 */
export class RedisCollectionVersions implements CollectionVersions {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    chroma: { tenant: string; database: string },
  ) {
    this.key = collectionVersionsKey(chroma);
  }

  async read(names: readonly string[]): Promise<Map<string, string> | undefined> {
    // A search never waits for Redis: until it is connected, every collection is asked in Chroma.
    if (this.redis.status !== "ready") {
      if (this.redis.status === "wait") void ensureRedisReady(this.redis).catch(() => undefined);
      return undefined;
    }
    try {
      const values = await this.redis.hmget(this.key, ...names);
      return new Map(names.map((name, index) => [name, values[index] ?? "0"]));
    } catch {
      return undefined;
    }
  }

  async bump(name: string): Promise<void> {
    try {
      // A process that has not used Redis yet connects first (once); one whose Redis went away does
      // not wait for it on every write.
      if (this.redis.status === "wait") await ensureRedisReady(this.redis);
      if (this.redis.status === "ready") await this.redis.hincrby(this.key, name, 1);
    } catch {
      // The copies' age limit bounds how long a missed bump can go unseen.
    }
  }
}
