import { z } from "@hono/zod-openapi";
import type { IngestRequest } from "../../../core/ingest/index.js";
import { includeListSchema } from "../../../core/relations/index.js";
import { fieldListSchema, filtersSchema, sourceReferenceFields } from "./source-schemas.js";

/** The seed's ingestion body, plus `source`, `filters` and `max_rows`. */
export const IngestRequestSchema = z
  .object({
    ...sourceReferenceFields,
    table_or_collection: z.string().min(1).max(256).openapi({ example: "products.csv" }),
    columns_or_fields: fieldListSchema
      .optional()
      .openapi({ description: "Fields to keep; omitted: all", example: ["id", "name", "price"] }),
    text_fields: fieldListSchema
      .min(1)
      .openapi({ description: "Fields whose text is embedded", example: ["name", "description"] }),
    filters: filtersSchema.optional(),
    max_rows: z.number().int().positive().max(10_000_000).optional(),
    include: includeListSchema.optional().openapi({
      description:
        "Related tables rendered into each document (`customer.name: …`): foreign keys on PostgreSQL, local_field/foreign_field elsewhere; see docs/relations.md",
      example: [{ table: "customers", fields: ["name", "city"] }],
    }),
  })
  // A misspelt `filter` must not ingest the whole table: unknown fields are refused, by name.
  .strict()
  .openapi("IngestRequest");

/** The seed's field names to core's request. */
export function toIngestRequest(body: z.infer<typeof IngestRequestSchema>): IngestRequest {
  return {
    source: body.source,
    db_type: body.db_type,
    connection_params: body.connection_params,
    table: body.table_or_collection,
    fields: body.columns_or_fields,
    textFields: body.text_fields,
    filters: body.filters,
    maxRows: body.max_rows,
    include: body.include,
  };
}
