import type { AppContext } from "../../../core/context/index.js";
import { countIngestFailure, failureEvents } from "../../../core/ingest/index.js";
import {
  batchStatusEventSchema,
  type EmbeddingRequestMessage,
  type IngestionRequestMessage,
  topics,
} from "../../../core/messaging/index.js";

/**
 * An ingestion or embedding message given up on: its documents count as failed on the batch's
 * status, so the batch still finishes (with failures) instead of waiting for them forever.
 */
export async function reportIngestFailure(
  context: AppContext,
  message: IngestionRequestMessage | EmbeddingRequestMessage | undefined,
  error: string,
): Promise<void> {
  if (!context.publisher) return;
  countIngestFailure(message);
  await context.publisher.publish(
    topics.batchStatus,
    message?.batch_id ?? "unknown",
    batchStatusEventSchema,
    failureEvents(message, error),
  );
}
