import type { Redis } from "ioredis";
import type { BatchStatusEvent } from "../messaging/index.js";
import { guardRedis, readyRedis } from "../redis/index.js";

export type BatchState = "queued" | "processing" | "completed" | "failed" | "completed_with_errors";

export interface BatchStatus {
  batch_id: string;
  source: string;
  table: string;
  status: BatchState;
  total_documents: number | null;
  processed_documents: number;
  failed_documents: number;
  progress_percentage: number;
  error_message: string | null;
  created_at: string;
  updated_at: string;
}

export interface BatchStatusOptions {
  prefix: string;
  ttlSeconds: number;
  /** How many batches the recent list keeps. */
  recentLimit?: number;
}

/**
 * Batch progress in Redis: a hash per batch, a set of processed and of failed document ids (so
 * a redelivered event counts each document once), and a trimmed sorted set of recent batches.
 * Every key has the TTL, so finished batches expire.
 */
export class BatchStatusStore {
  private readonly redis: Redis | undefined;
  private readonly options: BatchStatusOptions;

  constructor(redis: Redis | undefined, options: BatchStatusOptions) {
    this.redis = redis;
    this.options = options;
  }

  async create(batchId: string, meta: { source: string; table: string }): Promise<void> {
    return guardRedis(() => this.createBatch(batchId, meta));
  }

  /** Applies one status event; applying the same event twice changes nothing. */
  async apply(event: BatchStatusEvent): Promise<void> {
    return guardRedis(() => this.applyEvent(event));
  }

  async get(batchId: string): Promise<BatchStatus | undefined> {
    return guardRedis(() => this.read(batchId));
  }

  /** Newest first; batches whose hash expired are skipped (and dropped from the list). */
  async recent(limit: number): Promise<BatchStatus[]> {
    return guardRedis(() => this.readRecent(limit));
  }

  private async createBatch(batchId: string, meta: { source: string; table: string }): Promise<void> {
    const redis = await this.connected();
    const now = new Date().toISOString();
    const keys = this.keys(batchId);
    await redis
      .multi()
      .hset(keys.hash, { batch_id: batchId, source: meta.source, table: meta.table, created_at: now, updated_at: now })
      .expire(keys.hash, this.options.ttlSeconds)
      .zadd(keys.recent, Date.now(), batchId)
      .zremrangebyrank(keys.recent, 0, -(this.options.recentLimit ?? 1_000) - 1)
      .exec();
  }

  private async applyEvent(event: BatchStatusEvent): Promise<void> {
    const redis = await this.connected();
    const keys = this.keys(event.batch_id);
    const transaction = redis.multi().hset(keys.hash, { updated_at: event.at });
    switch (event.type) {
      case "started":
        transaction.hset(keys.hash, { started: "1" });
        break;
      case "total":
        transaction.hset(keys.hash, { total: String(event.total) });
        break;
      case "processed":
        transaction.sadd(keys.processed, ...event.ids);
        break;
      case "failed":
        if (event.ids.length) transaction.sadd(keys.failed, ...event.ids);
        transaction.hset(keys.hash, { last_error: event.error });
        break;
      case "error":
        transaction.hset(keys.hash, { error_message: event.error });
        break;
    }
    for (const key of [keys.hash, keys.processed, keys.failed]) transaction.expire(key, this.options.ttlSeconds);
    await transaction.exec();
  }

  private async read(batchId: string): Promise<BatchStatus | undefined> {
    const redis = await this.connected();
    const keys = this.keys(batchId);
    const [hash, processed, failedTotal, failedButProcessed] = await Promise.all([
      redis.hgetall(keys.hash),
      redis.scard(keys.processed),
      redis.scard(keys.failed),
      // A document that failed once and succeeded on a retry counts as processed only.
      redis.call("SINTERCARD", 2, keys.failed, keys.processed) as Promise<number>,
    ]);
    if (!hash.batch_id) return undefined;
    const failed = failedTotal - Number(failedButProcessed);
    const total = hash.total === undefined ? null : Number(hash.total);
    const done = processed + failed;
    let status: BatchState = hash.started || done > 0 ? "processing" : "queued";
    if (hash.error_message) status = "failed";
    else if (total !== null && done >= total) status = failed > 0 ? "completed_with_errors" : "completed";
    return {
      batch_id: batchId,
      source: hash.source ?? "",
      table: hash.table ?? "",
      status,
      total_documents: total,
      processed_documents: processed,
      failed_documents: failed,
      progress_percentage: total
        ? Math.min(100, Math.round((done / total) * 1000) / 10)
        : status === "completed"
          ? 100
          : 0,
      error_message: hash.error_message ?? hash.last_error ?? null,
      created_at: hash.created_at ?? "",
      updated_at: hash.updated_at ?? "",
    };
  }

  private async readRecent(limit: number): Promise<BatchStatus[]> {
    const redis = await this.connected();
    const ids = await redis.zrevrange(this.keys("").recent, 0, limit - 1);
    const statuses = await Promise.all(ids.map((id) => this.read(id)));
    const expired = ids.filter((_, index) => !statuses[index]);
    if (expired.length) await redis.zrem(this.keys("").recent, ...expired);
    return statuses.filter((status): status is BatchStatus => status !== undefined);
  }

  private keys(batchId: string) {
    const base = `${this.options.prefix}batch:${batchId}`;
    return {
      hash: base,
      processed: `${base}:processed`,
      failed: `${base}:failed`,
      recent: `${this.options.prefix}batches:recent`,
    };
  }

  private connected(): Promise<Redis> {
    return readyRedis(this.redis, { purpose: "batch status" });
  }
}
