import { z } from "zod";
import { sourceNameSchema } from "../config/index.js";
import { includeListSchema } from "../relations/index.js";
import { rowFilterSchema } from "../sources/index.js";

/** Bumped when a message's meaning changes; consumers refuse versions they do not know. */
export const schemaVersion = 1;
const version = z.literal(schemaVersion);
const batchId = z.string().regex(/^[a-z0-9-]{8,64}$/);
const metadataValue = z.union([z.string(), z.number(), z.boolean()]);

/** data-ingestion, key = source: what to read. Names a configured source; never carries credentials. */
export const ingestionRequestSchema = z.object({
  schema_version: version,
  batch_id: batchId,
  source: sourceNameSchema,
  table: z.string().min(1).max(256),
  fields: z.array(z.string()).optional(),
  text_fields: z.array(z.string()).min(1),
  filters: z.array(rowFilterSchema).optional(),
  max_rows: z.number().int().positive().optional(),
  include: includeListSchema.optional(),
  requested_at: z.string(),
});
export type IngestionRequestMessage = z.infer<typeof ingestionRequestSchema>;

/** embedding-requests, key = batch id: a group of prepared chunks from one batch. */
export const embeddingRequestSchema = z.object({
  schema_version: version,
  batch_id: batchId,
  source: sourceNameSchema,
  table: z.string(),
  group: z.number().int().min(0),
  documents: z
    .array(z.object({ id: z.string().min(1), text: z.string(), metadata: z.record(z.string(), metadataValue) }))
    .min(1),
});
export type EmbeddingRequestMessage = z.infer<typeof embeddingRequestSchema>;

/** vector-updates, key = batch id: ids written, for anything that follows the store. */
export const vectorUpdateSchema = z.object({
  schema_version: version,
  batch_id: batchId,
  source: sourceNameSchema,
  op: z.enum(["upsert", "delete"]),
  ids: z.array(z.string()),
});
export type VectorUpdateMessage = z.infer<typeof vectorUpdateSchema>;

/** batch-status, key = batch id. Progress is reported per document id, so a redelivery counts once. */
export const batchStatusEventSchema = z.discriminatedUnion("type", [
  z.object({ schema_version: version, batch_id: batchId, type: z.literal("started"), at: z.string() }),
  z.object({
    schema_version: version,
    batch_id: batchId,
    type: z.literal("total"),
    total: z.number().int().min(0),
    at: z.string(),
  }),
  z.object({
    schema_version: version,
    batch_id: batchId,
    type: z.literal("processed"),
    ids: z.array(z.string()).min(1),
    at: z.string(),
  }),
  z.object({
    schema_version: version,
    batch_id: batchId,
    type: z.literal("failed"),
    ids: z.array(z.string()),
    error: z.string().max(2_000),
    at: z.string(),
  }),
  z.object({
    schema_version: version,
    batch_id: batchId,
    type: z.literal("error"),
    error: z.string().max(2_000),
    at: z.string(),
  }),
]);
export type BatchStatusEvent = z.infer<typeof batchStatusEventSchema>;

/** sync-requests, key = source: sync one table with the spec recorded in its sync state. */
export const syncRequestSchema = z.object({
  schema_version: version,
  sync_id: batchId,
  source: sourceNameSchema,
  table: z.string().min(1).max(256),
  detect_deletes: z.boolean(),
  requested_at: z.string(),
});
export type SyncRequestMessage = z.infer<typeof syncRequestSchema>;

/** What a dead-letter topic holds: the original record untouched, why it failed, and how often. */
export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The original value, base64, so even bytes that are not UTF-8 survive. */
  value_base64: string | null;
  error: string;
  attempts: number;
  failed_at: string;
}
