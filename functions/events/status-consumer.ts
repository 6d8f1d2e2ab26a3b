import { batchStatusEventSchema } from "../../core/messaging/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createConsumer } from "./shared/consumer.js";

/** batch-status → applies progress events to the batch's status in Redis (idempotently). */
export function createStatusConsumer(getContext: ContextProvider) {
  return createConsumer(
    {
      name: "status-consumer",
      schema: batchStatusEventSchema,
      handle: (context, event) => context.batches.apply(event),
    },
    getContext,
  );
}

export const handler = createStatusConsumer(defaultContext);
