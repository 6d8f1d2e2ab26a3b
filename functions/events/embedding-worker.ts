import { runEmbeddingRequest } from "../../core/ingest/index.js";
import { embeddingRequestSchema } from "../../core/messaging/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createConsumer } from "./shared/consumer.js";
import { reportIngestFailure } from "./shared/ingest-dead-letter.js";

/** embedding-requests → embeds a group, upserts it into Chroma, reports progress. */
export function createEmbeddingWorker(getContext: ContextProvider) {
  return createConsumer(
    {
      name: "embedding-worker",
      schema: embeddingRequestSchema,
      onDeadLetter: reportIngestFailure,
      handle: (context, message) => {
        return runEmbeddingRequest(
          { ...context.requirePublisher(), vectors: context.requireVectors().vectors },
          message,
        );
      },
    },
    getContext,
  );
}

export const handler = createEmbeddingWorker(defaultContext);
