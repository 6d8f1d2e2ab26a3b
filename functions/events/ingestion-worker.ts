import { runIngestionRequest } from "../../core/ingest/index.js";
import { ingestionRequestSchema } from "../../core/messaging/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createConsumer } from "./shared/consumer.js";
import { reportIngestFailure } from "./shared/ingest-dead-letter.js";

/** data-ingestion → streams the named source and publishes its chunks to embedding-requests. */
export function createIngestionWorker(getContext: ContextProvider) {
  return createConsumer(
    {
      name: "ingestion-worker",
      schema: ingestionRequestSchema,
      onDeadLetter: reportIngestFailure,
      handle: (context, message) => {
        return runIngestionRequest(context.requirePublisher(), message);
      },
    },
    getContext,
  );
}

export const handler = createIngestionWorker(defaultContext);
