import { z } from "zod";

const identifier = z.string().min(1).max(256);

const includeFields = {
  table: identifier.describe("The related table or collection"),
  fields: z.array(identifier).min(1).max(50).describe("Its fields rendered into the document, in this order"),
  label: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)
    .optional()
    .describe("Prefix of the rendered lines (`customer.name: …`); default: the key column without _id, or the table"),
  via: identifier
    .optional()
    .describe(
      "PostgreSQL: the foreign key column to follow when several join the same two tables (a composite key's columns joined by commas)",
    ),
  local_field: identifier.optional().describe("Without a catalogue (MongoDB, CSV, JSONL): the key in this table"),
  foreign_field: identifier.optional().describe("…and the field of the related table it matches"),
  limit: z.number().int().min(1).max(1_000).optional().describe("One-to-many: most rows per document (default 20)"),
  order_by: identifier.optional().describe("One-to-many: the column the first `limit` rows are chosen by"),
  order: z.enum(["asc", "desc"]).optional(),
  watermark_column: identifier
    .optional()
    .describe("The related table's updated_at-style column for sync; default: the main table's, when it has one"),
};

/** A second step (order_lines → products); it cannot nest further. */
export const nestedIncludeSchema = z.object(includeFields).strict();

/** One related table an ingestion renders into each document. */
export const includeSchema = z
  .object({ ...includeFields, include: z.array(nestedIncludeSchema).max(10).optional() })
  .strict();

export const includeListSchema = z.array(includeSchema).max(10);

export type IncludeSpec = z.infer<typeof includeSchema>;
export type NestedIncludeSpec = z.infer<typeof nestedIncludeSchema>;
