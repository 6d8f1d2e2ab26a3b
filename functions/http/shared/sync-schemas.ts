import { z } from "@hono/zod-openapi";
import { sourceNameSchema } from "../../../core/config/index.js";
import { includeListSchema } from "../../../core/relations/index.js";
import { fieldListSchema, filtersSchema } from "./source-schemas.js";

const tableName = z.string().min(1).max(256);

export const sourceParams = z.object({
  // describe() clones the core schema into one the OpenAPI extension has reached.
  source: sourceNameSchema
    .describe("A configured source (GET /sources)")
    .openapi({ param: { name: "source", in: "path" }, example: "shop" }),
});

export const tableQuery = z.object({
  table: tableName.openapi({ param: { name: "table", in: "query" }, example: "products" }),
});

const watermarkValue = z.union([z.string(), z.number()]).nullable();

export const SyncSummarySchema = z
  .object({
    source: z.string(),
    table: z.string(),
    changed: z.number().openapi({ description: "Rows read since the watermark (every row without one)" }),
    dependents: z
      .number()
      .openapi({ description: "Rows read again because a related row they render changed (include)" }),
    related_changed: z
      .number()
      .openapi({ description: "Related rows changed since their watermarks, or deleted since the last sync" }),
    reembedded: z.number().openapi({ description: "Rows embedded: new, or their text changed" }),
    metadata_only: z.number().openapi({ description: "Rows whose metadata alone changed: no embedding" }),
    unchanged: z.number(),
    deleted: z.number().openapi({ description: "Rows removed from the store" }),
    watermark: watermarkValue,
    full_scan: z.boolean(),
    duration_ms: z.number(),
  })
  .openapi("SyncSummary");

export const SyncStateSchema = z
  .object({
    source: z.string(),
    table: z.string(),
    spec: z.object({
      text_fields: z.array(z.string()),
      fields: z.array(z.string()).optional(),
      filters: z.array(z.unknown()).optional(),
      watermark_column: z.string().optional(),
      include: z.array(z.unknown()).optional(),
    }),
    primary_key: z.array(z.string()),
    watermark: z.object({ value: z.union([z.string(), z.number()]), as: z.literal("date").optional() }).nullable(),
    related_watermarks: z
      .record(z.string(), z.object({ value: z.union([z.string(), z.number()]), as: z.literal("date").optional() }))
      .openapi({ description: "Where each related table's changes were last read, by include label path" }),
    last_sync_at: z.string().nullable(),
    last_sync_id: z.string().nullable(),
    last_result: z.record(z.string(), z.unknown()).nullable(),
    last_error: z.string().nullable(),
    last_error_at: z.string().nullable(),
    updated_at: z.string(),
  })
  .openapi("SyncState");

export const SyncRequestSchema = z
  .object({
    table: tableName.openapi({ example: "products" }),
    text_fields: fieldListSchema
      .min(1)
      .optional()
      .openapi({ description: "Omit to use the recorded ingestion's", example: ["name", "description"] }),
    columns_or_fields: fieldListSchema.optional().openapi({ description: "Fields kept as metadata; omit: recorded" }),
    filters: filtersSchema.optional(),
    watermark_column: tableName.optional().openapi({
      description: "An updated_at-style column or an increasing key; remembered for later syncs",
      example: "updated_at",
    }),
    include: includeListSchema.optional().openapi({
      description: "Related tables rendered into each document; omit: recorded. See docs/relations.md",
    }),
    detect_deletes: z.boolean().default(true).openapi({ description: "Remove vectors of rows gone from the source" }),
    async: z.boolean().default(false).openapi({ description: "Queue on Kafka instead of syncing now" }),
  })
  .strict()
  .openapi("SyncRequest");

const DriftSchema = z.object({ count: z.number(), sample: z.array(z.string()) });

export const AuditReportSchema = z
  .object({
    source: z.string(),
    table: z.string(),
    source_rows: z.number().openapi({ description: "Rows with text in the source" }),
    stored_ids: z.number().openapi({ description: "The table's vectors in the store" }),
    missing: DriftSchema.openapi({ description: "Rows with no vectors (document ids)" }),
    extra: DriftSchema.openapi({ description: "Vector ids with no matching row" }),
    stale: DriftSchema.openapi({ description: "Rows whose stored text or metadata differs (document ids)" }),
    repaired: z.object({ reembedded: z.number(), metadata_only: z.number(), deleted: z.number() }).nullable(),
    keyword_index: z
      .object({
        missing: DriftSchema.openapi({ description: "Vector ids the keyword index lacks" }),
        extra: DriftSchema.openapi({ description: "Keyword rows with no vector behind them" }),
        stale: DriftSchema.openapi({ description: "Ids whose content hash differs between the two" }),
        repaired: z.object({ indexed: z.number(), deleted: z.number() }).nullable(),
      })
      .nullable()
      .openapi({ description: "The keyword index checked against the vectors; null when it is not configured" }),
    duration_ms: z.number(),
  })
  .openapi("AuditReport");

const sampleSizeDoc = { description: "Ids listed per kind (default AUDIT_SAMPLE_SIZE)" };
/** A query string is text, so its number is parsed. */
export const sampleSizeQuery = z.coerce.number().int().min(0).max(1_000).optional().openapi(sampleSizeDoc);
/** In a JSON body a number must be a number: "5" is a mistake to report, not to guess at. */
export const sampleSizeBody = z.number().int().min(0).max(1_000).optional().openapi(sampleSizeDoc);
