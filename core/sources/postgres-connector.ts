import pg from "pg";
import Cursor from "pg-cursor";
import type { PostgresSourceConfig } from "../config/index.js";
import { InvalidInputError } from "../errors/index.js";
import { SourceAuthenticationError, SourceUnavailableError, TableNotFoundError } from "./errors.js";
import type { RowFilter } from "./filters.js";
import { exactKeyMatches, keyColumnValues } from "./key-tuples.js";
import type {
  ForeignKey,
  RelatedRequest,
  SourceConnector,
  SourceRow,
  StreamRequest,
  TableForeignKeys,
  TableSchema,
  TableSummary,
} from "./types.js";

const { escapeIdentifier } = pg;

// Dates and timestamps stay text: pg's default parser turns `date` into local midnight and drops
// microseconds, and both would change the documents. Text is normalised to ISO 8601 instead.
const typeOids = { date: 1082, timestamp: 1114, timestamptz: 1184 } as const;
const isoTimestamp = (text: string) => text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === typeOids.date) return (text: string) => text;
    if (oid === typeOids.timestamp || oid === typeOids.timestamptz) return isoTimestamp;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** PostgreSQL through a pool per source; rows stream from a server-side cursor in a read-only transaction. */
export class PostgresConnector implements SourceConnector {
  readonly kind = "postgresql" as const;
  readonly name: string;
  private readonly pool: pg.Pool;
  private readonly schemaName: string;
  private readonly config: PostgresSourceConfig;
  /** readOnlyQuery's pools, one per statement timeout (in practice one), and their sessions already set up. */
  private readonly readOnlyPools = new Map<number, { pool: pg.Pool; prepared: WeakSet<pg.PoolClient> }>();

  constructor(config: PostgresSourceConfig) {
    this.name = config.name;
    this.schemaName = config.schema;
    this.config = config;
    this.pool = this.newPool();
  }

  private newPool(): pg.Pool {
    const pool = new pg.Pool({
      connectionString: this.config.connectionString,
      max: this.config.max_connections,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: "chat-with-your-data",
      types,
    });
    // A dropped connection (server restart, pg_terminate_backend) emits 'error' on its client, idle
    // or checked out; unheard, that ends the process. Queries on it reject, and that is where it is handled.
    pool.on("error", () => undefined);
    pool.on("connect", (client) => client.on("error", () => undefined));
    return pool;
  }

  async listTables(): Promise<TableSummary[]> {
    const { rows } = await this.query<{ name: string; estimate: number }>(
      `SELECT c.relname AS name, GREATEST(c.reltuples, 0)::float8 AS estimate
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
        ORDER BY c.relname`,
      [this.schemaName],
    );
    return rows.map((row) => ({ name: row.name, rowEstimate: row.estimate }));
  }

  async describe(table: string): Promise<TableSchema> {
    const columns = await this.query<{ name: string; type: string; nullable: boolean }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [this.schemaName, table],
    );
    if (columns.rows.length === 0) throw new TableNotFoundError(this.name, table);
    const keys = await this.query<{ name: string }>(
      `SELECT a.attname AS name
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary
        ORDER BY k.position`,
      [this.schemaName, table],
    );
    const estimate = await this.query<{ estimate: number }>(
      `SELECT GREATEST(c.reltuples, 0)::float8 AS estimate FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2`,
      [this.schemaName, table],
    );
    return {
      name: table,
      columns: columns.rows,
      primaryKey: keys.rows.map((row) => row.name),
      rowEstimate: estimate.rows[0]?.estimate ?? 0,
    };
  }

  async count(table: string, filters: readonly RowFilter[] = []): Promise<number> {
    const where = whereClause(filters);
    const { rows } = await this.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${this.qualified(table)}${where.sql}`,
      where.values,
    );
    return Number(rows[0]?.count ?? 0);
  }

  async *stream(request: StreamRequest): AsyncIterable<SourceRow> {
    const where = whereClause(request.filters ?? []);
    const columns = request.fields.map((field) => escapeIdentifier(field)).join(", ");
    const limit = request.maxRows === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(request.maxRows))}`;
    const sql = `SELECT ${columns} FROM ${this.qualified(request.table)}${where.sql}${limit}`;
    const client = await this.connect();
    let failed = false;
    try {
      await client.query("BEGIN TRANSACTION READ ONLY");
      const cursor = client.query(new Cursor<SourceRow>(sql, where.values));
      // The cursor also emits its failures as 'error' events; read() rejects with them, which is where they are handled.
      // A failed cursor is not closed: close() waits for the server's ReadyForQuery, which a cut connection never sends.
      let broken = false;
      cursor.on("error", () => {
        broken = true;
      });
      try {
        const batchSize = request.batchSize ?? 500;
        while (!request.signal?.aborted) {
          const rows = await cursor.read(batchSize);
          for (const row of rows) yield row;
          if (rows.length < batchSize) break;
        }
      } finally {
        if (!broken) await cursor.close();
      }
      await client.query("COMMIT");
    } catch (error) {
      failed = true;
      throw this.translate(error, request.table);
    } finally {
      // A client whose transaction failed mid-way is discarded rather than returned to the pool.
      client.release(failed);
    }
  }

  /**
   * `key = ANY($1)` lets PostgreSQL type the array from the column, so an index on the key serves
   * it; a composite key is one `= ANY($n)` per column, its cross pairs dropped after. With a per-key
   * limit, a window function ranks each key's rows in the same single query.
   */
  async related(request: RelatedRequest): Promise<SourceRow[]> {
    if (request.keys.length === 0) return [];
    const keyColumns = request.keyFields.map((field) => escapeIdentifier(field));
    const columns = [...new Set([...request.fields, ...request.keyFields])].map((field) => escapeIdentifier(field));
    const table = this.qualified(request.table);
    const perKey = request.perKey;
    const values: unknown[] = keyColumnValues(request.keys, keyColumns.length);
    const where = keyColumns.map((column, index) => `${column} = ANY($${index + 1})`).join(" AND ");
    let sql = `SELECT ${columns.join(", ")} FROM ${table} WHERE ${where}`;
    if (perKey) {
      const direction = perKey.order === "desc" ? "DESC" : "ASC";
      const order = [
        ...(perKey.orderBy ? [`${escapeIdentifier(perKey.orderBy)} ${direction}`] : []),
        ...perKey.tieBreak.map((column) => escapeIdentifier(column)),
      ];
      const window = order.length ? ` ORDER BY ${order.join(", ")}` : "";
      values.push(perKey.limit);
      const keys = keyColumns.join(", ");
      sql = `SELECT ${columns.join(", ")} FROM (SELECT ${columns.join(", ")}, row_number() OVER (PARTITION BY ${keys}${window}) AS rank_in_key
         FROM ${table} WHERE ${where}) ranked WHERE rank_in_key <= $${values.length} ORDER BY ${keys}, rank_in_key`;
    }
    try {
      const { rows } = await this.pool.query<SourceRow>(sql, values);
      return exactKeyMatches(rows, request);
    } catch (error) {
      throw this.translate(error, request.table);
    }
  }

  /** Foreign keys from the catalogue, both ways; a composite one with its columns in the constraint's order. */
  async foreignKeys(table: string): Promise<TableForeignKeys> {
    const { rows } = await this.query<Omit<ForeignKey, "column" | "referencedColumn">>(
      `SELECT con.conname AS name, src.relname AS table, dst.relname AS "referencedTable",
              array_agg(sa.attname::text ORDER BY k.position) AS columns,
              array_agg(da.attname::text ORDER BY k.position) AS "referencedColumns"
         FROM pg_constraint con
         JOIN pg_class src ON src.oid = con.conrelid
         JOIN pg_class dst ON dst.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = con.connamespace
         CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(source_attnum, target_attnum, position)
         JOIN pg_attribute sa ON sa.attrelid = con.conrelid AND sa.attnum = k.source_attnum
         JOIN pg_attribute da ON da.attrelid = con.confrelid AND da.attnum = k.target_attnum
        WHERE con.contype = 'f' AND n.nspname = $1
          AND (src.relname = $2 OR dst.relname = $2)
        GROUP BY con.conname, src.relname, dst.relname
        ORDER BY con.conname`,
      [this.schemaName, table],
    );
    const keys: ForeignKey[] = rows.map((row) => ({
      name: row.name,
      table: row.table,
      column: row.columns.join(","),
      referencedTable: row.referencedTable,
      referencedColumn: row.referencedColumns.join(","),
      columns: row.columns,
      referencedColumns: row.referencedColumns,
    }));
    return {
      outgoing: keys.filter((key) => key.table === table),
      incoming: keys.filter((key) => key.referencedTable === table),
    };
  }

  /**
   * One statement built by core (quoted identifiers, bound values), or a checked model SELECT, as a
   * read-only transaction of its own with a statement timeout and UTC as the session zone (so dates
   * compare and print the same everywhere). These run on a pool of their own whose sessions are set up
   * once, read-only by default: one round trip per statement, where BEGIN READ ONLY … COMMIT cost two
   * more (see docs/performance.md, query-spec).
   * A cancelled statement rejects with PostgreSQL's own error (code 57014) for the caller to name.
   */
  async readOnlyQuery(
    sql: string,
    values: readonly unknown[],
    options: { timeoutMs: number; table: string },
  ): Promise<SourceRow[]> {
    // SET takes no parameters; the timeout is an integer from the settings, never from a request.
    const timeoutMs = Math.max(1, Math.floor(options.timeoutMs));
    let readOnly = this.readOnlyPools.get(timeoutMs);
    if (!readOnly) {
      readOnly = { pool: this.newPool(), prepared: new WeakSet() };
      this.readOnlyPools.set(timeoutMs, readOnly);
    }
    const client = await this.connect(readOnly.pool);
    let failed = false;
    try {
      if (!readOnly.prepared.has(client)) {
        await client.query(
          `SET default_transaction_read_only = on; SET statement_timeout = ${timeoutMs}; SET TimeZone = 'UTC'`,
        );
        readOnly.prepared.add(client);
      }
      const { rows } = await client.query<SourceRow>(sql, [...values]);
      return rows;
    } catch (error) {
      // A session that failed is not reused, whatever state it was left in.
      failed = true;
      throw this.translate(error, options.table);
    } finally {
      client.release(failed);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), ...[...this.readOnlyPools.values()].map(({ pool }) => pool.end())]);
  }

  /** `"schema"."table"`, quoted; the table must already be checked against describe(). */
  qualified(table: string): string {
    return `${escapeIdentifier(this.schemaName)}.${escapeIdentifier(table)}`;
  }

  private async connect(pool = this.pool): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private async query<Row extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    try {
      return await this.pool.query<Row>(sql, values);
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown, table?: string): unknown {
    const code = (error as { code?: string }).code;
    if (code === "28P01" || code === "28000") return new SourceAuthenticationError(this.name, error);
    if (code === "42P01" && table) return new TableNotFoundError(this.name, table);
    if (code === "3D000") return new SourceUnavailableError(this.name, error);
    if (!code || code.startsWith("08") || code === "57P01" || code === "57P03" || /^E[A-Z]+$/.test(code)) {
      return new SourceUnavailableError(this.name, error);
    }
    // A filter value its column cannot take (text for a number, a bad date, a NUL) or an operator
    // its type lacks: the request's mistake, not the server's, and PostgreSQL's message says which.
    if (code.startsWith("22") || code === "42883" || code === "42804") {
      return new InvalidInputError(`source '${this.name}' refused a filter: ${(error as Error).message}`, {
        source: this.name,
        ...(table ? { table } : {}),
      });
    }
    return error;
  }
}

const sqlOperators = { eq: "=", ne: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

/** Filters as SQL with every value a bound parameter; column names were checked against the schema. */
export function whereClause(filters: readonly RowFilter[]): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const parts = filters.map((filter) => {
    const column = escapeIdentifier(filter.column);
    if (filter.op === "is_null") return `${column} IS NULL`;
    if (filter.op === "not_null") return `${column} IS NOT NULL`;
    values.push(filter.value);
    // Comparing as text keeps one code path for every column type; PostgreSQL casts the parameter.
    if (filter.op === "in") return `${column}::text = ANY($${values.length}::text[])`;
    return `${column} ${sqlOperators[filter.op]} $${values.length}`;
  });
  return { sql: parts.length ? ` WHERE ${parts.join(" AND ")}` : "", values };
}
