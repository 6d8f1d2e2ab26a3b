import { z } from "zod";
import { sourceNameSchema } from "../config/index.js";
import { ingestTable } from "../ingest/index.js";
import { recordSyncSpec } from "../sync/index.js";
import { defineTool } from "./tool.js";

const fieldList = z.array(z.string().min(1).max(256)).max(500);

export const ingestTableTool = defineTool({
  name: "ingest_table",
  title: "Ingest a table",
  description:
    "Reads a table of a configured source, embeds the chosen text fields and stores every row for search, " +
    "replacing what was stored for the same rows. Admin only; as POST /ingest-data, up to SYNC_INGEST_MAX_ROWS rows.",
  scope: "admin",
  destructive: true,
  input: z.object({
    source: sourceNameSchema.describe("A source name from list_sources"),
    table: z.string().min(1).max(256).describe("A table or collection (CSV/JSONL: the file name)"),
    text_fields: fieldList.min(1).describe("Fields whose text is embedded and searched"),
    fields: fieldList.optional().describe("Fields kept as metadata; omitted: all"),
    max_rows: z.number().int().positive().max(10_000_000).optional(),
  }),
  async run(args, { context, signal }) {
    const request = {
      source: args.source,
      table: args.table,
      textFields: args.text_fields,
      fields: args.fields,
      maxRows: args.max_rows,
    };
    const summary = await ingestTable(context.requireVectors(), request, { signal });
    await recordSyncSpec(context, request);
    return {
      text: `Ingested ${summary.documents} rows of ${summary.source}/${summary.table} as ${summary.chunks} vectors (${summary.skipped} without text, ${summary.failed} failed).`,
      structured: { ...summary },
    };
  },
});

export const deleteTableTool = defineTool({
  name: "delete_table",
  title: "Delete a table's vectors",
  description:
    "Deletes every stored vector of one table of a source, so search and ask no longer find it. " +
    "The source's own data is untouched; ingest_table stores it again. Admin only.",
  scope: "admin",
  destructive: true,
  input: z.object({
    source: sourceNameSchema.describe("A source name from list_sources"),
    table: z.string().min(1).max(256).describe("The table whose vectors go"),
  }),
  async run(args, { context }) {
    const { vectors } = context.requireVectors();
    const deleted = await vectors.countTable(args.source, args.table);
    await vectors.deleteTable(args.source, args.table);
    return {
      text: `Deleted ${deleted} vectors of ${args.source}/${args.table}.`,
      structured: { source: args.source, table: args.table, deleted_vectors: deleted },
    };
  },
});
