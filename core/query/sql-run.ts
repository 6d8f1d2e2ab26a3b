import { PostgresConnector } from "../sources/index.js";
import { InvalidSqlError, QueryTimeoutError } from "./errors.js";
import type { ResultRow } from "./evaluate.js";
import type { OutputColumn } from "./plan.js";
import type { QueryDependencies } from "./run.js";
import { queryRowCap } from "./spec.js";
import { checkSql, type SqlAllowance } from "./sql-guard.js";
import type { ValueType } from "./values.js";

export interface SqlResult {
  /** What ran: the source and the statement as checked. */
  spec: { source: string; sql: string };
  columns: OutputColumn[];
  rows: ResultRow[];
  /** More rows than `queryRowCap` came back; the rest were not read. */
  truncated: boolean;
  execution: "postgresql_sql";
}

/**
 * Runs a model's SELECT on a PostgreSQL source that allows it (`allow_sql`): checked by checkSql
 * against `allowance`, then run read-only with QUERY_TIMEOUT_MS, at most queryRowCap rows kept.
 * Refusals (and PostgreSQL's own errors about the statement) are InvalidSqlError, before or instead of running.
 * @example await runSql(context, "shop", "SELECT name FROM products ORDER BY price LIMIT 1", { schema: "public", tables })
 */
export async function runSql(
  dependencies: QueryDependencies,
  source: string,
  sql: string,
  allowance: SqlAllowance,
): Promise<SqlResult> {
  const connector = dependencies.sources.get(source);
  if (!(connector instanceof PostgresConnector) || dependencies.sources.sqlSchema(source) === undefined) {
    throw new InvalidSqlError(`source '${source}' does not allow SQL (it needs kind postgresql and allow_sql: true)`);
  }
  const statement = await checkSql(sql, allowance);
  const timeoutMs = dependencies.settings.QUERY_TIMEOUT_MS;
  // A subquery, so the cap holds whatever LIMIT the model wrote; newlines, so a trailing comment ends where it should.
  const capped = `SELECT * FROM (\n${statement}\n) AS model_sql LIMIT ${queryRowCap + 1}`;
  let raw: Record<string, unknown>[];
  try {
    raw = await connector.readOnlyQuery(capped, [], { timeoutMs, table: [...allowance.tables.keys()][0] ?? "" });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "57014") throw new QueryTimeoutError(source, timeoutMs, error);
    // The statement's own mistakes (a GROUP BY missing a column, a type mismatch), in PostgreSQL's words.
    if (typeof code === "string" && (code.startsWith("42") || code.startsWith("22"))) {
      throw new InvalidSqlError(`PostgreSQL refused the SQL: ${(error as Error).message}`);
    }
    if (error instanceof Error && /^source '.*' refused a filter: /.test(error.message)) {
      throw new InvalidSqlError(
        error.message.replace(/^source '.*' refused a filter: /, "PostgreSQL refused the SQL: "),
      );
    }
    throw error;
  }
  const rows = raw.slice(0, queryRowCap).map(jsonRow);
  return {
    spec: { source, sql: statement },
    columns: columnsOf(rows),
    rows,
    truncated: raw.length > queryRowCap,
    execution: "postgresql_sql",
  };
}

/** Dates as ISO 8601 instants and big integers as strings, as JSON can carry them. */
function jsonRow(row: Record<string, unknown>): ResultRow {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      value instanceof Date ? value.toISOString() : typeof value === "bigint" ? value.toString() : value,
    ]),
  ) as ResultRow;
}

function columnsOf(rows: readonly ResultRow[]): OutputColumn[] {
  const first = rows[0] ?? {};
  return Object.entries(first).map(([name, value]) => ({ name, type: valueType(value) }));
}

function valueType(value: unknown): ValueType {
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "string") return /^\d{4}-\d\d-\d\dT/.test(value) ? "date" : "text";
  return "other";
}
