import { randomUUID } from "node:crypto";
import { ComponentUnavailableError } from "../errors/index.js";
import {
  type Publisher,
  type SyncRequestMessage,
  schemaVersion,
  syncRequestSchema,
  topics,
} from "../messaging/index.js";
import { sameSpec } from "./spec.js";
import { requireSpec, type SyncRequest, type SyncSummary, syncTable } from "./sync.js";
import { resolveTarget, type SyncDependencies, stateStore } from "./target.js";

export interface QueueSyncDependencies extends Pick<SyncDependencies, "sources" | "settings" | "redis"> {
  publisher: Pick<Publisher, "publish"> | undefined;
}

/**
 * Checks the request now (a bad table or field is a 400 here, not a dead letter later), records
 * the spec, and puts the sync on `sync-requests` for the sync worker: for large changes, which
 * outlast an HTTP request. The message names the table only; the worker reads the spec from Redis.
 */
export async function queueSync(
  dependencies: QueueSyncDependencies,
  request: SyncRequest,
): Promise<{ sync_id: string; status: "queued" }> {
  const { publisher } = dependencies;
  if (!publisher) throw new ComponentUnavailableError("kafka", { message: "kafka is not configured (KAFKA_BROKERS)" });
  const connector = dependencies.sources.get(request.source);
  const state = stateStore(dependencies);
  const recorded = await state.get(connector.name, request.table);
  const spec = requireSpec(connector.name, request.table, recorded, request.spec);
  const target = await resolveTarget(dependencies, connector.name, request.table, spec);
  if (!recorded || !sameSpec(recorded.spec, spec)) {
    await state.saveSpec(connector.name, request.table, spec, target.selection.primaryKey);
  }
  const message: SyncRequestMessage = {
    schema_version: schemaVersion,
    sync_id: randomUUID(),
    source: connector.name,
    table: request.table,
    detect_deletes: request.detectDeletes ?? true,
    requested_at: new Date().toISOString(),
  };
  try {
    await publisher.publish(topics.syncRequests, connector.name, syncRequestSchema, [message]);
  } catch (error) {
    throw new ComponentUnavailableError("kafka", { cause: error });
  }
  return { sync_id: message.sync_id, status: "queued" };
}

/**
 * The sync worker's effect: the queued table synced with its recorded spec, without the
 * per-request row limit, waiting a while for a sync of the same table that is still running.
 * A redelivery syncs again, which finds nothing left to do.
 */
export function runSyncRequest(dependencies: SyncDependencies, message: SyncRequestMessage): Promise<SyncSummary> {
  return syncTable(
    dependencies,
    { source: message.source, table: message.table, detectDeletes: message.detect_deletes, syncId: message.sync_id },
    { limit: Number.POSITIVE_INFINITY, waitMs: dependencies.settings.SYNC_WAIT_SECONDS * 1_000 },
  );
}
