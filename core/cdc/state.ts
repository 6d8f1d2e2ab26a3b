import type { Redis } from "ioredis";
import { z } from "zod";
import { readyRedis } from "../redis/index.js";
import type { SnapshotMode } from "./connector-config.js";

const registrationSchema = z.object({
  tables: z.array(z.string()),
  snapshot: z.enum(["no_data", "initial"]),
  enabled_at: z.string(),
});

export type CdcRegistration = z.infer<typeof registrationSchema>;

/** What the consumer did with one table's events, since CDC was enabled. */
export interface CdcCounts {
  events: number;
  created: number;
  updated: number;
  deleted: number;
  snapshot_reads: number;
  truncates: number;
  /** Rows embedded: new, or their text changed. */
  reembedded: number;
  /** Rows whose metadata alone changed: rewritten without embedding. */
  metadata_only: number;
  /** Rows removed from the store. */
  removed: number;
  /** Events after which the store was already right (a replay, or a change to unselected columns). */
  unchanged: number;
}

export interface CdcProgress {
  counts: CdcCounts;
  /** When the consumer last applied an event of the table. */
  last_event_at: string | null;
  /** When the last applied change was committed in the source. */
  last_commit_at: string | null;
  /** The highest source LSN applied. */
  last_lsn: number | null;
}

const countNames = [
  "events",
  "created",
  "updated",
  "deleted",
  "snapshot_reads",
  "truncates",
  "reembedded",
  "metadata_only",
  "removed",
  "unchanged",
] as const satisfies readonly (keyof CdcCounts)[];

// Partitions are consumed in parallel, so the LSN only ever moves forward.
const raiseScript = `local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 0`;

/** CDC registrations (which tables of a source stream changes) and per-table progress, in Redis. */
export class CdcStateStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis | undefined,
    options: { prefix: string },
  ) {
    this.prefix = options.prefix;
  }

  private key = (source: string) => `${this.prefix}cdc:${source}`;
  private progressKey = (source: string, table: string) => `${this.prefix}cdc:${source}:progress:${table}`;

  private client(): Promise<Redis> {
    return readyRedis(this.redis, { purpose: "change data capture" });
  }

  async registration(source: string): Promise<CdcRegistration | undefined> {
    const raw = await (await this.client()).get(this.key(source));
    return raw ? registrationSchema.parse(JSON.parse(raw)) : undefined;
  }

  async register(source: string, table: string, snapshot: SnapshotMode): Promise<CdcRegistration> {
    const current = await this.registration(source);
    const registration: CdcRegistration = {
      tables: [...new Set([...(current?.tables ?? []), table])].sort(),
      snapshot,
      enabled_at: current?.enabled_at ?? new Date().toISOString(),
    };
    await (await this.client()).set(this.key(source), JSON.stringify(registration));
    return registration;
  }

  /** Forgets the source's registration and every table's progress. */
  async remove(source: string, tables: readonly string[]): Promise<void> {
    await (await this.client()).del(this.key(source), ...tables.map((table) => this.progressKey(source, table)));
  }

  async record(
    source: string,
    table: string,
    counts: Partial<CdcCounts>,
    last: { lsn?: number | undefined; commitMs?: number | undefined },
  ): Promise<void> {
    const key = this.progressKey(source, table);
    const pipeline = (await this.client()).pipeline();
    for (const [name, value] of Object.entries(counts)) if (value) pipeline.hincrby(key, name, value);
    pipeline.hset(key, "last_event_at", new Date().toISOString());
    if (last.lsn !== undefined) pipeline.eval(raiseScript, 1, key, "last_lsn", String(last.lsn));
    if (last.commitMs !== undefined) pipeline.eval(raiseScript, 1, key, "last_commit_ms", String(last.commitMs));
    await pipeline.exec();
  }

  async progress(source: string, table: string): Promise<CdcProgress> {
    const raw = await (await this.client()).hgetall(this.progressKey(source, table));
    const number = (name: string) => (raw[name] === undefined ? null : Number(raw[name]));
    const counts = Object.fromEntries(countNames.map((name) => [name, number(name) ?? 0])) as Record<
      keyof CdcCounts,
      number
    >;
    const commitMs = number("last_commit_ms");
    return {
      counts,
      last_event_at: raw.last_event_at ?? null,
      last_commit_at: commitMs === null ? null : new Date(commitMs).toISOString(),
      last_lsn: number("last_lsn"),
    };
  }
}
