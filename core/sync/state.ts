import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { ComponentUnavailableError } from "../errors/index.js";
import { guardRedis, readyRedis } from "../redis/index.js";
import { type SyncSpec, sameSpec, syncSpecSchema } from "./spec.js";
import { type Watermark, watermarkSchema } from "./watermark.js";

/** Where a table's sync stands; what GET /sync/{source} shows. */
export interface SyncState {
  source: string;
  table: string;
  spec: SyncSpec;
  /** The table's key columns when the spec was last used (ids are built from them). */
  primary_key: string[];
  watermark: Watermark | null;
  /** Where each related table's changes were last read, by relation path (`customer`, `lines.product`). */
  related_watermarks: Record<string, Watermark>;
  last_sync_at: string | null;
  last_sync_id: string | null;
  last_result: Record<string, unknown> | null;
  last_error: string | null;
  last_error_at: string | null;
  updated_at: string;
}

export interface SyncLock {
  /** Renews the lock's lifetime; called once per page so a long sync keeps it. */
  extend(): Promise<void>;
  release(): Promise<void>;
}

const json = <T>(schema: z.ZodType<T>, text: string | undefined): T | null => {
  if (!text) return null;
  const parsed = schema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
};

// Compare-and-act, so a lock that expired and was taken by another run is never renewed or freed by this one.
const extendScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("expire", KEYS[1], ARGV[2]) else return 0 end`;
const releaseScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
// A watermark belongs to the spec its run used: if a request changed the spec meanwhile, it is not kept.
const watermarkScript = `if redis.call("hget", KEYS[1], "spec") == ARGV[1] then return redis.call("hset", KEYS[1], ARGV[2], ARGV[3]) else return 0 end`;

/**
 * Sync state in Redis, so any function instance can continue where another stopped: a hash per
 * (source, table) with the spec, the watermark and the last run; a set naming every table that
 * has state (for the scheduled sync); a lock per table; and temporary hashes for delete scans.
 * State has no TTL: it describes what the store holds, which does not expire either.
 */
export class SyncStateStore {
  private readonly redis: Redis | undefined;
  private readonly prefix: string;

  constructor(redis: Redis | undefined, options: { prefix: string }) {
    this.redis = redis;
    this.prefix = options.prefix;
  }

  async get(source: string, table: string): Promise<SyncState | undefined> {
    return this.guard(async (redis) => {
      const hash = await redis.hgetall(this.key(source, table));
      const spec = json(syncSpecSchema, hash.spec);
      if (!spec) return undefined;
      return {
        source,
        table,
        spec,
        primary_key: json(z.array(z.string()), hash.primary_key) ?? [],
        watermark: json(watermarkSchema, hash.watermark),
        related_watermarks: json(z.record(z.string(), watermarkSchema), hash.related_watermarks) ?? {},
        last_sync_at: hash.last_sync_at ?? null,
        last_sync_id: hash.last_sync_id || null,
        last_result: json(z.record(z.string(), z.unknown()), hash.last_result),
        last_error: hash.last_error ?? null,
        last_error_at: hash.last_error_at ?? null,
        updated_at: hash.updated_at ?? "",
      };
    });
  }

  /**
   * Records how the table becomes documents. Another spec makes other documents of every row, so
   * the watermark says nothing about them any more and goes: the next sync reads every row.
   */
  async saveSpec(source: string, table: string, spec: SyncSpec, primaryKey: readonly string[]): Promise<void> {
    await this.guard(async (redis) => {
      const key = this.key(source, table);
      const previous = json(syncSpecSchema, (await redis.hget(key, "spec")) ?? undefined);
      const transaction = redis
        .multi()
        .hset(key, {
          spec: JSON.stringify(spec),
          primary_key: JSON.stringify(primaryKey),
          updated_at: new Date().toISOString(),
        })
        .sadd(this.tablesKey(), JSON.stringify([source, table]));
      if (!sameSpec(previous ?? undefined, spec)) transaction.hdel(key, "watermark", "related_watermarks");
      await transaction.exec();
    });
  }

  async recordRun(
    source: string,
    table: string,
    run: {
      spec: SyncSpec;
      watermark: Watermark | undefined;
      relatedWatermarks?: Record<string, Watermark> | undefined;
      result: object;
      syncId?: string | undefined;
    },
  ): Promise<void> {
    await this.guard(async (redis) => {
      const now = new Date().toISOString();
      const key = this.key(source, table);
      const transaction = redis.multi().hset(key, {
        last_sync_at: now,
        last_result: JSON.stringify(run.result),
        last_sync_id: run.syncId ?? "",
        updated_at: now,
      });
      transaction.hdel(key, "last_error", "last_error_at");
      await transaction.exec();
      const spec = JSON.stringify(run.spec);
      if (run.watermark) await redis.eval(watermarkScript, 1, key, spec, "watermark", JSON.stringify(run.watermark));
      if (run.relatedWatermarks && Object.keys(run.relatedWatermarks).length > 0) {
        await redis.eval(watermarkScript, 1, key, spec, "related_watermarks", JSON.stringify(run.relatedWatermarks));
      }
    });
  }

  async recordError(source: string, table: string, error: string, syncId?: string): Promise<void> {
    await this.guard(async (redis) => {
      const now = new Date().toISOString();
      await redis.hset(this.key(source, table), {
        last_error: error.slice(0, 2_000),
        last_error_at: now,
        ...(syncId ? { last_sync_id: syncId } : {}),
        updated_at: now,
      });
    });
  }

  /** Every (source, table) with recorded state; tables are few, so one set read is fine. */
  async tables(): Promise<{ source: string; table: string }[]> {
    return this.guard(async (redis) => {
      const members = await redis.smembers(this.tablesKey());
      return members
        .map((member) => z.tuple([z.string(), z.string()]).safeParse(JSON.parse(member)))
        .flatMap((parsed) => (parsed.success ? [{ source: parsed.data[0], table: parsed.data[1] }] : []))
        .sort((a, b) => `${a.source}:${a.table}`.localeCompare(`${b.source}:${b.table}`));
    });
  }

  /**
   * Takes the table's lock, waiting up to `waitMs` for a running sync to end; undefined when it
   * did not. The lock expires after `ttlSeconds` unless extended, so a crashed run frees it.
   */
  async lock(
    source: string,
    table: string,
    options: { ttlSeconds: number; waitMs?: number },
  ): Promise<SyncLock | undefined> {
    return this.guard(async (redis) => {
      const key = `${this.prefix}sync-lock:${source}:${keyPart(table)}`;
      const token = randomUUID();
      const deadline = Date.now() + (options.waitMs ?? 0);
      for (;;) {
        if ((await redis.set(key, token, "EX", options.ttlSeconds, "NX")) === "OK") break;
        if (Date.now() >= deadline) return undefined;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return {
        extend: () => this.guard(async () => void (await redis.eval(extendScript, 1, key, token, options.ttlSeconds))),
        release: () => this.guard(async () => void (await redis.eval(releaseScript, 1, key, token))),
      };
    });
  }

  /** A temporary id → value map in Redis, so a scan's memory is Redis's, not this process's. */
  async scratch(ttlSeconds: number): Promise<ScratchMap> {
    const redis = await this.connected();
    return new ScratchMap(redis, `${this.prefix}sync-scan:${randomUUID()}`, ttlSeconds);
  }

  /**
   * The rows a related table held at the last sync (its key → the join value its dependents hold),
   * so the next sync can tell which were deleted: a deletion leaves no newer watermark behind.
   */
  async relatedRows(source: string, table: string, path: string): Promise<Map<string, string>> {
    return this.guard(
      async (redis) => new Map(Object.entries(await redis.hgetall(this.relatedKey(source, table, path)))),
    );
  }

  async replaceRelatedRows(
    source: string,
    table: string,
    path: string,
    rows: ReadonlyMap<string, string>,
  ): Promise<void> {
    await this.guard(async (redis) => {
      const key = this.relatedKey(source, table, path);
      const staging = `${key}:next`;
      await redis.del(staging);
      const entries = [...rows];
      for (let start = 0; start < entries.length; start += 5_000) {
        await redis.hset(staging, Object.fromEntries(entries.slice(start, start + 5_000)));
      }
      // Swapped in at once, so a run that dies part-way leaves the previous set whole.
      if (entries.length > 0) await redis.rename(staging, key);
      else await redis.del(key);
    });
  }

  /** The recorded join values of some related rows, by key; keys never recorded are absent. */
  async relatedJoins(
    source: string,
    table: string,
    path: string,
    keys: readonly string[],
  ): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    return this.guard(async (redis) => {
      const values = await redis.hmget(this.relatedKey(source, table, path), ...keys);
      return new Map(keys.flatMap((key, index) => (values[index] == null ? [] : [[key, values[index] as string]])));
    });
  }

  /**
   * Keeps a recorded set current between runs (CDC): rows written since, and rows deleted since. A row
   * recorded and not named stays, so a sync still finds a deletion it has not seen.
   */
  async updateRelatedRows(
    source: string,
    table: string,
    path: string,
    changes: { written: ReadonlyMap<string, string>; deleted: readonly string[] },
  ): Promise<void> {
    await this.guard(async (redis) => {
      const key = this.relatedKey(source, table, path);
      if (changes.deleted.length > 0) await redis.hdel(key, ...changes.deleted);
      const entries = [...changes.written];
      for (let start = 0; start < entries.length; start += 5_000) {
        await redis.hset(key, Object.fromEntries(entries.slice(start, start + 5_000)));
      }
    });
  }

  private relatedKey(source: string, table: string, path: string): string {
    return `${this.prefix}sync-related:${source}:${keyPart(table)}:${keyPart(path)}`;
  }

  private key(source: string, table: string): string {
    return `${this.prefix}sync:${source}:${keyPart(table)}`;
  }

  private tablesKey(): string {
    return `${this.prefix}sync:tables`;
  }

  /** A Redis failure mid-command is the component being unavailable (503), like a failed connect. */
  private async guard<T>(operation: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = await this.connected();
    return guardRedis(() => operation(redis));
  }

  private connected(): Promise<Redis> {
    return readyRedis(this.redis, { purpose: "sync state" });
  }
}

/** One scan's id → value map, expiring on its own if the scan dies before dropping it. */
export class ScratchMap {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlSeconds: number,
  ) {}

  async set(entries: ReadonlyArray<readonly [string, string]>): Promise<void> {
    if (entries.length === 0) return;
    await this.run(() =>
      this.redis.multi().hset(this.key, Object.fromEntries(entries)).expire(this.key, this.ttlSeconds).exec(),
    );
  }

  /** Values in the order of `ids`; null for ids never set. */
  async get(ids: readonly string[]): Promise<(string | null)[]> {
    if (ids.length === 0) return [];
    return this.run(() => this.redis.hmget(this.key, ...ids));
  }

  async drop(): Promise<void> {
    await this.run(() => this.redis.del(this.key));
  }

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new ComponentUnavailableError("redis", { cause: error });
    }
  }
}

/**
 * A table name as part of a Redis key. encodeURIComponent throws on a lone surrogate, which a
 * request may carry; no source can have such a table, so its replacement character will do.
 */
function keyPart(table: string): string {
  return encodeURIComponent(table.replace(/\p{Cs}/gu, "\uFFFD"));
}
