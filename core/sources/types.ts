import type { SourceConfig } from "../config/index.js";
import type { RowFilter } from "./filters.js";

export type SourceKind = SourceConfig["kind"];

/** One row or document as the driver returns it; values are converted later, in documents.ts. */
export type SourceRow = Record<string, unknown>;

export interface ColumnSchema {
  name: string;
  /** The database's type name (PostgreSQL), or the BSON / inferred types seen (MongoDB, files). */
  type: string;
  nullable: boolean;
  /** For sampled schemas: the share of sampled documents that have the field (0–1). */
  presence?: number;
}

export interface TableSchema {
  name: string;
  columns: ColumnSchema[];
  /** Columns whose values identify a row; empty when the table has none (ids then hash the row). */
  primaryKey: string[];
  /** Rows (PostgreSQL estimate, exact elsewhere), when cheap to know. */
  rowEstimate?: number;
}

export interface TableSummary {
  name: string;
  rowEstimate?: number;
}

export interface StreamRequest {
  table: string;
  /** Columns or field paths to read; already checked against the schema. */
  fields: readonly string[];
  filters?: readonly RowFilter[];
  maxRows?: number;
  /** Rows fetched per round trip (cursor batch). */
  batchSize?: number;
  signal?: AbortSignal;
}

/**
 * A foreign key: `table.columns` references `referencedTable.referencedColumns`, column for column.
 * `column` and `referencedColumn` name them as one text: the column, or a composite key's columns
 * joined by commas (`region,customer_no`), which is also what an include's `via` takes.
 */
export interface ForeignKey {
  name: string;
  table: string;
  column: string;
  referencedTable: string;
  referencedColumn: string;
  columns: string[];
  referencedColumns: string[];
}

/** A table's foreign keys both ways: those it holds, and those of other tables pointing at it. */
export interface TableForeignKeys {
  outgoing: ForeignKey[];
  incoming: ForeignKey[];
}

/**
 * Rows of a related table whose key (`keyFields`: one column, or a composite key's columns) is one of
 * `keys` (tuples in the same order), for a whole page of parent rows in one round trip. With `perKey`,
 * at most `limit` rows per key, in the named order.
 */
export interface RelatedRequest {
  table: string;
  fields: readonly string[];
  keyFields: readonly string[];
  keys: readonly (readonly unknown[])[];
  perKey?: { limit: number; orderBy?: string | undefined; order: "asc" | "desc"; tieBreak: readonly string[] };
}

/**
 * What every data source offers. Names passed in must already be checked against `describe()`
 * (selection.ts does it); connectors still quote identifiers and bind values as parameters.
 */
export interface SourceConnector {
  readonly name: string;
  readonly kind: SourceKind;
  listTables(): Promise<TableSummary[]>;
  describe(table: string): Promise<TableSchema>;
  count(table: string, filters?: readonly RowFilter[]): Promise<number>;
  /** Rows with bounded memory: one cursor batch at a time. */
  stream(request: StreamRequest): AsyncIterable<SourceRow>;
  /** Related rows for a page of parents (join-aware ingestion); names already checked against describe(). */
  related(request: RelatedRequest): Promise<SourceRow[]>;
  /** Declared foreign keys; only sources with a catalogue (PostgreSQL) have them. */
  foreignKeys?(table: string): Promise<TableForeignKeys>;
  close(): Promise<void>;
}
