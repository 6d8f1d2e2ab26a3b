import { AppError, InvalidInputError } from "../errors/index.js";

/** A spec that names real columns but asks for something the data cannot give (sum of text, an alias twice). */
export class InvalidQueryError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, details);
    this.name = "InvalidQueryError";
  }
}

/** The table exists or not, but the source's configuration does not open it to queries. */
export class TableNotQueryableError extends InvalidInputError {
  constructor(source: string, table: string, allowed: readonly string[] | undefined) {
    super(
      allowed
        ? `table '${table}' of source '${source}' is not open to queries (its query_tables: ${allowed.map((name) => `'${name}'`).join(", ") || "none"})`
        : `table '${table}' of source '${source}' is not open to queries: only ingested tables are, unless the source lists query_tables`,
      { source, table },
    );
    this.name = "TableNotQueryableError";
  }
}

/** The database cancelled the query at QUERY_TIMEOUT_MS. */
export class QueryTimeoutError extends AppError {
  constructor(source: string, timeoutMs: number, cause?: unknown) {
    super(
      `the query on source '${source}' took longer than ${timeoutMs} ms and was cancelled; narrow it with filters`,
      {
        code: "query_timeout",
        cause,
        details: { source, timeout_ms: timeoutMs },
      },
    );
    this.name = "QueryTimeoutError";
  }
}

/** A model's SQL that the PostgreSQL parser and the allow-lists refuse; nothing of it ran. */
export class InvalidSqlError extends InvalidInputError {
  constructor(message: string) {
    super(message);
    this.name = "InvalidSqlError";
  }
}
