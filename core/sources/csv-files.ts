import { createReadStream } from "node:fs";
import { parse } from "csv-parse";
import { resolveFileInside } from "./safe-path.js";

export interface CsvValidation {
  valid: boolean;
  file_path: string;
  columns: string[];
  row_count: number;
  errors: string[];
}

/**
 * Reads a CSV file in the data folder and reports its columns, rows and the first problems
 * (ragged rows, unparsable quoting) without loading it whole. `sampleRows` stops early.
 */
async function scanCsv(
  dataDir: string,
  relativePath: string,
  sampleRows?: number,
): Promise<CsvValidation & { rows: Record<string, string>[] }> {
  const file = await resolveFileInside(dataDir, relativePath);
  const errors: string[] = [];
  const rows: Record<string, string>[] = [];
  let columns: string[] = [];
  let count = 0;
  const parser = createReadStream(file).pipe(
    parse({ bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, relax_quotes: false }),
  );
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (columns.length === 0) {
        columns = record;
        continue;
      }
      count++;
      if (record.length !== columns.length && errors.length < 20) {
        errors.push(`row ${count + 1}: ${record.length} values for ${columns.length} columns`);
      }
      if (sampleRows !== undefined) {
        rows.push(Object.fromEntries(columns.map((column, index) => [column, record[index] ?? ""])));
        if (rows.length >= sampleRows) break;
      }
    }
  } catch (error) {
    errors.push(`unreadable CSV: ${(error as Error).message.split("\n")[0]}`);
  }
  if (columns.length === 0) errors.push("the file has no header row");
  const duplicates = columns.filter((column, index) => columns.indexOf(column) !== index);
  if (duplicates.length) errors.push(`duplicate column names: ${[...new Set(duplicates)].join(", ")}`);
  return { valid: errors.length === 0, file_path: relativePath, columns, row_count: count, errors, rows };
}

/** Seed parity for POST /validate-csv. */
export async function validateCsv(dataDir: string, relativePath: string): Promise<CsvValidation> {
  const { rows: _rows, ...validation } = await scanCsv(dataDir, relativePath);
  return validation;
}

/** Seed parity for GET /csv-sample: the header and the first rows. */
export async function sampleCsv(
  dataDir: string,
  relativePath: string,
  rows: number,
): Promise<{ file_path: string; columns: string[]; rows: Record<string, string>[] }> {
  const scan = await scanCsv(dataDir, relativePath, rows);
  return { file_path: relativePath, columns: scan.columns, rows: scan.rows };
}
