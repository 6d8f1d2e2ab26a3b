import { syncRequestSchema } from "../../core/messaging/index.js";
import { runSyncRequest } from "../../core/sync/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createConsumer } from "./shared/consumer.js";

/** sync-requests → syncs the queued table with its recorded spec; the outcome is kept in its sync state. */
export function createSyncWorker(getContext: ContextProvider) {
  return createConsumer(
    {
      name: "sync-worker",
      schema: syncRequestSchema,
      // A sync has no batch status: its failure is recorded in the table's sync state. One that gave up
      // waiting for a running sync of the table records nothing there (that sync's outcome stands) and,
      // after its retries, is dead-lettered.
      handle: async (context, message) => {
        const summary = await runSyncRequest(context.requireVectors(), message);
        context.logger.info({ consumer: "sync-worker", sync_id: message.sync_id, ...summary }, "table synced");
      },
    },
    getContext,
  );
}

export const handler = createSyncWorker(defaultContext);
