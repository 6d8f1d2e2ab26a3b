import { type SourceAccess, type SourceReference, withConnector } from "./access.js";
import type { TableForeignKeys, TableSchema, TableSummary } from "./types.js";

export type SchemaResult =
  | { source: string; kind: string; tables: TableSummary[] }
  | { source: string; kind: string; table: TableSchema & { foreignKeys?: TableForeignKeys } };

/**
 * The tables of a source, or one table's columns, types and key.
 * @example await describeSchema(access, { source: "shop", table: "products" })
 */
export async function describeSchema(
  access: SourceAccess,
  request: SourceReference & { table?: string | undefined },
): Promise<SchemaResult> {
  return withConnector(access, request, async (connector) => {
    if (request.table) {
      const table = await connector.describe(request.table);
      // Both directions, so a client (the page's ingestion form) can offer every include the table allows.
      const foreignKeys = connector.foreignKeys ? await connector.foreignKeys(request.table) : undefined;
      return {
        source: connector.name,
        kind: connector.kind,
        table: { ...table, ...(foreignKeys ? { foreignKeys } : {}) },
      };
    }
    return { source: connector.name, kind: connector.kind, tables: await connector.listTables() };
  });
}
