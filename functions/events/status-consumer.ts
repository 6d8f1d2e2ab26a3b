import { batchesCapability } from "../../core/context/index.js";
import { batchStatusEventSchema } from "../../core/messaging/index.js";
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, consumerCapabilities, createConsumer } from "./shared/consumer.js";

const capabilities = consumerCapabilities({ batches: batchesCapability });

/** batch-status → applies progress events to the batch's status in Redis (idempotently). */
export function createStatusConsumer(getContext: ContextProvider) {
  return createConsumer(
    {
      name: "status-consumer",
      schema: batchStatusEventSchema,
      handle: (context, event) => context.batches.apply(event),
      capabilities,
    },
    getContext,
  );
}

export const handler = createStatusConsumer(contextWith(capabilities));
