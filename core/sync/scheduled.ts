import { type QueueSyncDependencies, queueSync } from "./queue.js";
import { type SyncSummary, syncTable } from "./sync.js";
import { type SyncDependencies, stateStore } from "./target.js";

export interface SyncTableName {
  source: string;
  table: string;
}

export interface ScheduledOutcome extends SyncTableName {
  status: "synced" | "queued" | "failed";
  summary?: SyncSummary;
  sync_id?: string;
  error?: string;
}

/**
 * A scheduled sync: each named table (every table with recorded sync state when none is named),
 * one after another, each with its own outcome, so one failing table does not stop the rest.
 * With `queue`, each goes on Kafka instead, for tables whose changes outlast the function.
 */
export async function runScheduledSync(
  dependencies: SyncDependencies & QueueSyncDependencies,
  request: { targets?: readonly SyncTableName[] | undefined; queue?: boolean | undefined },
): Promise<ScheduledOutcome[]> {
  const targets = request.targets?.length ? request.targets : await stateStore(dependencies).tables();
  const outcomes: ScheduledOutcome[] = [];
  for (const target of targets) {
    try {
      if (request.queue) {
        const queued = await queueSync(dependencies, target);
        outcomes.push({ ...target, status: "queued", sync_id: queued.sync_id });
      } else {
        // A schedule has no caller waiting on a gateway, so no per-request row limit.
        const summary = await syncTable(dependencies, target, { limit: Number.POSITIVE_INFINITY });
        outcomes.push({ ...target, status: "synced", summary });
      }
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      outcomes.push({ ...target, status: "failed", error: message.slice(0, 2_000) });
    }
  }
  return outcomes;
}
