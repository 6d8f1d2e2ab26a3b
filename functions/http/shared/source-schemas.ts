import { z } from "@hono/zod-openapi";
import { sourceNameSchema } from "../../../core/config/index.js";
import { connectionParamsSchema, rowFilterSchema } from "../../../core/sources/index.js";

/** How a request names its data; the seed's field names, plus `source` (preferred). */
export const sourceReferenceFields = {
  source: sourceNameSchema.optional().openapi({ description: "A configured source (GET /sources)", example: "shop" }),
  db_type: z.enum(["postgresql", "mongodb", "csv", "jsonl"]).optional().openapi({ example: "postgresql" }),
  connection_params: connectionParamsSchema.optional().openapi({
    description: "Inline connection settings; only when the server enables them. Never stored, logged or echoed.",
  }),
};

const identifier = z.string().min(1).max(256);

export const SchemaRequestSchema = z
  .object({
    ...sourceReferenceFields,
    table_or_collection: identifier.optional().openapi({ description: "Omit to list the tables", example: "products" }),
  })
  .strict()
  .openapi("SchemaRequest");

export const ColumnSchemaSchema = z.object({
  name: z.string(),
  type: z.string(),
  nullable: z.boolean(),
  presence: z.number().optional().openapi({ description: "Share of sampled documents with the field" }),
});

const ForeignKeySchema = z.object({
  name: z.string(),
  table: z.string(),
  column: z.string().openapi({ description: "The referencing column; a composite key's columns joined by commas" }),
  referencedTable: z.string(),
  referencedColumn: z.string(),
  columns: z.array(z.string()).openapi({ description: "The referencing columns, in the key's order" }),
  referencedColumns: z.array(z.string()),
});

export const SchemaResponseSchema = z
  .object({
    source: z.string(),
    kind: z.string(),
    tables: z.array(z.object({ name: z.string(), rowEstimate: z.number().optional() })).optional(),
    table: z
      .object({
        name: z.string(),
        columns: z.array(ColumnSchemaSchema),
        primaryKey: z.array(z.string()),
        rowEstimate: z.number().optional(),
        foreignKeys: z
          .object({ outgoing: z.array(ForeignKeySchema), incoming: z.array(ForeignKeySchema) })
          .optional()
          .openapi({
            description:
              "PostgreSQL: single-column foreign keys this table holds (outgoing, many-to-one includes) and those pointing at it (incoming, one-to-many)",
          }),
      })
      .optional(),
  })
  .openapi("SchemaResponse");

export const fieldListSchema = z.array(identifier).max(500);
export const filtersSchema = z.array(rowFilterSchema).max(20);
