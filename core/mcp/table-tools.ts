import { z } from "zod";
import { sourceNameSchema } from "../config/index.js";
import type { AppContext } from "../context/index.js";
import { describeSchema, type ForeignKey } from "../sources/index.js";
import { storedDocument } from "./rows.js";
import { defineTool } from "./tool.js";

/**
 * One table's columns, keys and foreign keys from the source itself, and how much of it the store holds.
 * `relations` is POST /schema's `foreignKeys` (both directions), so a client reads one shape from either.
 */
export async function describeTable(context: AppContext, source: string, table: string) {
  const described = await describeSchema(context, { source, table });
  if (!("table" in described)) throw new Error("describeSchema answered without a table");
  const indexed = context.vectors ? await context.vectors.countTable(source, table).catch(() => null) : null;
  return {
    source: described.source,
    kind: described.kind,
    table: described.table.name,
    columns: described.table.columns,
    primary_key: described.table.primaryKey,
    row_estimate: described.table.rowEstimate ?? null,
    // Only a source with a catalogue (PostgreSQL) declares foreign keys. Elsewhere they are unknown, not
    // absent (an include joins such tables by named keys), so null rather than two empty lists.
    relations: described.table.foreignKeys ?? null,
    indexed_vectors: indexed,
  };
}

/** `orders.customer_id → customers.id`; a composite key's columns in parentheses. */
function foreignKeyText(key: ForeignKey): string {
  const columns = (names: string[]) => (names.length === 1 ? (names[0] ?? "") : `(${names.join(", ")})`);
  return `${key.table}.${columns(key.columns)} → ${key.referencedTable}.${columns(key.referencedColumns)}`;
}

export const describeTableTool = defineTool({
  name: "describe_table",
  title: "Describe a table",
  description:
    "A configured source's tables (omit `table`), or one table's columns with types, its primary key, " +
    "its foreign keys both ways (PostgreSQL; null for CSV, JSONL and MongoDB, which declare none), " +
    "its row count as the source estimates it, and how many vectors of it are indexed for search.",
  scope: "chat",
  input: z.object({
    source: sourceNameSchema.describe("A source name from list_sources"),
    table: z.string().min(1).max(256).optional().describe("A table or collection (CSV/JSONL: the file name)"),
  }),
  async run(args, { context }) {
    if (args.table === undefined) {
      const listed = await describeSchema(context, { source: args.source });
      const tables = "tables" in listed ? listed.tables : [];
      const text = tables.length
        ? tables
            .map((table) => `${table.name}${table.rowEstimate === undefined ? "" : ` (~${table.rowEstimate} rows)`}`)
            .join("\n")
        : `Source '${args.source}' has no tables.`;
      return { text, structured: { source: listed.source, kind: listed.kind, tables } };
    }
    const table = await describeTable(context, args.source, args.table);
    const columns = table.columns.map(
      (column) => `- ${column.name}: ${column.type}${column.nullable ? "" : " not null"}`,
    );
    const { relations } = table;
    const keys = (listed: ForeignKey[]) => listed.map(foreignKeyText).join("; ") || "none";
    const text = [
      `${table.source}/${table.table} (${table.kind})`,
      `primary key: ${table.primary_key.join(", ") || "none (rows are identified by a hash of their values)"}`,
      ...(relations
        ? [`references: ${keys(relations.outgoing)}`, `referenced by: ${keys(relations.incoming)}`]
        : ["foreign keys: not declared by this kind of source"]),
      `rows: ${table.row_estimate ?? "unknown"}; vectors indexed: ${table.indexed_vectors ?? "unknown"}`,
      "columns:",
      ...columns,
    ].join("\n");
    return { text, structured: table };
  },
});

export const getRowTool = defineTool({
  name: "get_row",
  title: "Get a stored row",
  description:
    "One stored document by its id (`source:table:key`, as search and ask return it): its whole text and metadata. " +
    "A long row stored in chunks comes back whole, its chunks in order.",
  scope: "chat",
  input: z.object({ id: z.string().min(3).max(1_024).describe("The document id, e.g. shop:products:42") }),
  async run(args, { context }) {
    const row = await storedDocument(context.requireVectors().vectors, args.id);
    return { text: `${row.id} (${row.source}/${row.table} key ${row.row_key})\n${row.text}`, structured: row };
  },
});
