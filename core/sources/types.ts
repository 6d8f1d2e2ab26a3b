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
  close(): Promise<void>;
}
