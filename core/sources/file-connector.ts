import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import type { FileSourceConfig } from "../config/index.js";
import { TableNotFoundError } from "./errors.js";
import type { RowFilter } from "./filters.js";
import { inferFields } from "./infer-fields.js";
import { keyText, keyTuple } from "./key-tuples.js";
import { limitPerKey } from "./related-rows.js";
import { resolveFileInside, resolveInside } from "./safe-path.js";
import type { RelatedRequest, SourceConnector, SourceRow, StreamRequest, TableSchema, TableSummary } from "./types.js";

/**
 * CSV or JSONL files in one folder under the data folder; each file is a table named by its
 * file name. Files are streamed, never read whole.
 */
export class FileConnector implements SourceConnector {
  readonly kind: "csv" | "jsonl";
  readonly name: string;
  private readonly folder: string;
  private readonly dataDir: string;
  private readonly sampleSize: number;

  constructor(config: FileSourceConfig, options: { dataDir: string; sampleSize: number }) {
    this.name = config.name;
    this.kind = config.kind;
    this.folder = config.path;
    this.dataDir = options.dataDir;
    this.sampleSize = options.sampleSize;
  }

  async listTables(): Promise<TableSummary[]> {
    const folder = await resolveInside(this.dataDir, this.folder);
    const entries = await readdir(folder, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && entry.name.endsWith(`.${this.kind}`))
      .map((entry) => ({ name: entry.name }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async describe(table: string): Promise<TableSchema> {
    const sample: SourceRow[] = [];
    for await (const row of this.rows(table)) {
      sample.push(row);
      if (sample.length >= this.sampleSize) break;
    }
    const columns = inferFields(sample).filter((column) => this.kind === "jsonl" || !column.name.includes("."));
    const key = ["id", "_id"].find((name) => columns.some((column) => column.name === name));
    return { name: table, columns, primaryKey: key ? [key] : [] };
  }

  async count(table: string, filters: readonly RowFilter[] = []): Promise<number> {
    let count = 0;
    for await (const row of this.rows(table)) if (matches(row, filters)) count++;
    return count;
  }

  async *stream(request: StreamRequest): AsyncIterable<SourceRow> {
    let emitted = 0;
    for await (const row of this.rows(request.table)) {
      if (request.signal?.aborted || (request.maxRows !== undefined && emitted >= request.maxRows)) break;
      if (!matches(row, request.filters ?? [])) continue;
      emitted++;
      yield Object.fromEntries(request.fields.map((field) => [field, row[field]]));
    }
  }

  /** One pass over the related file per page of parents; keys compare as text (CSV values are text). */
  async related(request: RelatedRequest): Promise<SourceRow[]> {
    if (request.keys.length === 0) return [];
    const keys = new Set(request.keys.map((key) => keyText(key)));
    const matched: SourceRow[] = [];
    for await (const row of this.rows(request.table)) {
      const key = keyTuple(row, request.keyFields);
      if (key && keys.has(keyText(key))) matched.push(row);
    }
    return limitPerKey(matched, request);
  }

  async close(): Promise<void> {}

  /** Every row of a file: CSV with a header line, or one JSON object per line. */
  async *rows(table: string): AsyncIterable<SourceRow> {
    if (!table.endsWith(`.${this.kind}`) || table.includes("/") || table.includes("\\")) {
      throw new TableNotFoundError(this.name, table);
    }
    const file = await resolveFileInside(this.dataDir, path.join(this.folder, table)).catch(() => {
      throw new TableNotFoundError(this.name, table);
    });
    if (this.kind === "csv") {
      yield* createReadStream(file).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true }));
      return;
    }
    const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Number.POSITIVE_INFINITY });
    let lineNumber = 0;
    for await (const line of lines) {
      lineNumber++;
      if (!line.trim()) continue;
      const parsed: unknown = JSON.parse(line);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new SyntaxError(`${table} line ${lineNumber} is not a JSON object`);
      }
      yield parsed as SourceRow;
    }
  }
}

/** Row filters evaluated in memory (files have no query engine); values compare as numbers when both are numeric. */
export function matches(row: SourceRow, filters: readonly RowFilter[]): boolean {
  return filters.every((filter) => {
    const value = row[filter.column];
    if (filter.op === "is_null") return value === null || value === undefined || value === "";
    if (filter.op === "not_null") return !(value === null || value === undefined || value === "");
    if (filter.op === "in")
      return Array.isArray(filter.value) && filter.value.some((item) => compare(value, item) === 0);
    const order = compare(value, filter.value);
    switch (filter.op) {
      case "eq":
        return order === 0;
      case "ne":
        return order !== 0;
      case "gt":
        return order > 0;
      case "gte":
        return order >= 0;
      case "lt":
        return order < 0;
      default:
        return order <= 0;
    }
  });
}

function compare(left: unknown, right: unknown): number {
  const a = Number(left);
  const b = Number(right);
  if (left !== "" && right !== "" && Number.isFinite(a) && Number.isFinite(b)) return a - b;
  return String(left ?? "").localeCompare(String(right ?? ""));
}
