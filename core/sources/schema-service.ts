import { type SourceAccess, type SourceReference, withConnector } from "./access.js";
import type { TableSchema, TableSummary } from "./types.js";

export type SchemaResult =
  | { source: string; kind: string; tables: TableSummary[] }
  | { source: string; kind: string; table: TableSchema };

/**
 * The tables of a source, or one table's columns, types and key.
 * @example await describeSchema(access, { source: "shop", table: "products" })
 */
export async function describeSchema(
  access: SourceAccess,
  request: SourceReference & { table?: string | undefined },
): Promise<SchemaResult> {
  return withConnector(access, request, async (connector) => {
    if (request.table)
      return { source: connector.name, kind: connector.kind, table: await connector.describe(request.table) };
    return { source: connector.name, kind: connector.kind, tables: await connector.listTables() };
  });
}
