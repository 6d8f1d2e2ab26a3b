import { z } from "zod";
import { sourceNameSchema } from "../../core/config/index.js";
import { InvalidInputError } from "../../core/errors/index.js";
import { runScheduledSync, type ScheduledOutcome } from "../../core/sync/index.js";
import { defaultContext } from "../shared/default-context.js";
import type { ContextProvider } from "./shared/consumer.js";

const syncPlan = z.object({
  /** Tables to sync; omitted or empty: every table with recorded sync state. */
  targets: z
    .array(z.object({ source: sourceNameSchema, table: z.string().min(1).max(256) }))
    .max(1_000)
    .optional(),
  /** Queue each table on Kafka instead of syncing it in this invocation. */
  queue: z.boolean().optional(),
});

/**
 * What the schedule delivers: EventBridge's scheduled-event envelope (the plan, if any, in
 * `detail`), or a rule's constant input, which replaces the envelope with the plan itself.
 */
const scheduledEventSchema = z.union([
  z.object({ "detail-type": z.string(), source: z.string(), detail: syncPlan.optional() }),
  syncPlan.strict(),
]);

/** A scheduled function: syncs each configured table, and reports each table's own outcome. */
export function createScheduledSync(getContext: ContextProvider) {
  return async (event: unknown): Promise<{ outcomes: ScheduledOutcome[] }> => {
    const context = getContext();
    const parsed = scheduledEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new InvalidInputError(`not a scheduled event or sync plan: ${parsed.error.issues[0]?.message ?? ""}`);
    }
    const plan = "detail-type" in parsed.data ? (parsed.data.detail ?? {}) : parsed.data;
    const withVectors = context.requireVectors();
    const started = performance.now();
    const outcomes = await runScheduledSync(withVectors, plan);
    context.logger.info(
      {
        function: "scheduled-sync",
        tables: outcomes.length,
        failed: outcomes.filter((outcome) => outcome.status === "failed").map((o) => `${o.source}:${o.table}`),
        duration_ms: Math.round(performance.now() - started),
      },
      "scheduled sync",
    );
    return { outcomes };
  };
}

export const handler = createScheduledSync(defaultContext);
