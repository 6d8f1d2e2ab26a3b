import { runEmbeddingRequest } from "../../core/ingest/index.js";
import { embeddingRequestSchema } from "../../core/messaging/index.js";
import { VectorStoreUnavailableError } from "../../core/vectors/index.js";
import { defaultContext } from "../shared/default-context.js";
import { type ContextProvider, createConsumer } from "./shared/consumer.js";

/** embedding-requests → embeds a group, upserts it into Chroma, reports progress. */
export function createEmbeddingWorker(getContext: ContextProvider) {
  return createConsumer(
    {
      name: "embedding-worker",
      schema: embeddingRequestSchema,
      reportFailures: true,
      handle: (context, message) => {
        if (!context.publisher) throw new Error("kafka is not configured");
        if (!context.vectors) throw new VectorStoreUnavailableError();
        return runEmbeddingRequest({ ...context, publisher: context.publisher, vectors: context.vectors }, message);
      },
    },
    getContext,
  );
}

export const handler = createEmbeddingWorker(defaultContext);
