import { z } from "zod";
import { includeListSchema } from "../relations/index.js";
import { rowFilterSchema } from "../sources/index.js";

const identifier = z.string().min(1).max(256);

/**
 * How a table becomes documents, remembered per table so a later sync needs only the source
 * and the table: the ingestion's fields and filters, plus the column that says what changed.
 */
export const syncSpecSchema = z.object({
  text_fields: z.array(identifier).min(1).max(500),
  /** Fields kept (metadata); absent: every column. */
  fields: z.array(identifier).max(500).optional(),
  filters: z.array(rowFilterSchema).max(20).optional(),
  /** An `updated_at`-style column or an increasing key; absent: every sync reads every row. */
  watermark_column: identifier.optional(),
  /** Related tables rendered into each document; their changes re-render the dependents. */
  include: includeListSchema.optional(),
});

export type SyncSpec = z.infer<typeof syncSpecSchema>;

/** What a request may say about the spec; anything it leaves out comes from the recorded one. */
export type SyncSpecChanges = Partial<SyncSpec>;

/** The recorded spec with a request's changes applied; undefined when neither names text fields. */
export function mergeSpec(recorded: SyncSpec | undefined, changes: SyncSpecChanges = {}): SyncSpec | undefined {
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  const merged = { ...recorded, ...defined };
  return merged.text_fields?.length ? syncSpecSchema.parse(merged) : undefined;
}

export const sameSpec = (left: SyncSpec | undefined, right: SyncSpec) => JSON.stringify(left) === JSON.stringify(right);
