import { applyRowChanges, type ChangeEventValue, changeEventSchema, toRowChange } from "../../core/cdc/index.js";
import type { AppContext } from "../../core/context/index.js";
import type { DecodedRecord } from "../../core/messaging/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createConsumer } from "./shared/consumer.js";

const recordId = (record: Pick<DecodedRecord, "topic" | "partition" | "offset">) =>
  `${record.topic}/${record.partition}/${record.offset}`;

/** Whether an event names a row (tombstones and logical-decoding messages do not). */
const namesRows = (value: ChangeEventValue | null): value is ChangeEventValue => value !== null && value.op !== "m";

function parseEvent(record: DecodedRecord): ChangeEventValue | null | undefined {
  try {
    return changeEventSchema.parse(JSON.parse(record.value?.toString("utf8") ?? "null"));
  } catch {
    return undefined;
  }
}

function dependencies(context: AppContext) {
  return context.requireVectors();
}

/**
 * cdc-events → the store. The whole batch is applied first in one pass per table (one source
 * read, one embedding call), which is what keeps a burst of updates fast; the records it
 * covered are then acknowledged one by one. A batch that fails falls back to record-by-record
 * handling, so a poison event gets its own retries and dead letter and the rest still apply.
 */
export function createCdcConsumer(getContext: ContextProvider) {
  return createConsumer(
    {
      name: "cdc-consumer",
      schema: changeEventSchema,
      prepare: async (context, records) => {
        const applied = new Set<string>();
        try {
          const parsed = records.flatMap((record) => {
            const value = parseEvent(record);
            // An unreadable record is left to the record-by-record pass, which dead-letters it.
            return value && namesRows(value) ? [{ record, change: toRowChange(value, record.key) }] : [];
          });
          await applyRowChanges(
            dependencies(context),
            parsed.map((entry) => entry.change),
          );
          for (const { record } of parsed) applied.add(recordId(record));
        } catch (error) {
          context.logger.warn(
            { consumer: "cdc-consumer", err: error },
            "batch apply failed; applying record by record",
          );
        }
        return (record) => applied.has(recordId(record));
      },
      // Change events belong to no ingestion batch: a dead letter is all there is to record.
      handle: async (context, value, record) => {
        if (!namesRows(value)) return;
        await applyRowChanges(dependencies(context), [toRowChange(value, record.key)]);
      },
    },
    getContext,
  );
}

export const handler = createCdcConsumer(defaultContext);
