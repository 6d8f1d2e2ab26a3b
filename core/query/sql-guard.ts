import { ComponentUnavailableError } from "../errors/index.js";
import { InvalidSqlError } from "./errors.js";

type Parser = typeof import("libpg-query");

/** What a model's SQL may touch: tables of one schema and, per table, the columns it may read. */
export interface SqlAllowance {
  schema: string;
  tables: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Functions a model's SELECT may call: aggregates and plain scalar functions of text, numbers and
 * dates. Nothing that reads files, settings or catalogs, sleeps, or writes (pg_read_file,
 * current_setting, pg_sleep, set_config, nextval, dblink…), which the allow-list leaves out by name.
 */
export const allowedSqlFunctions: ReadonlySet<string> = new Set([
  "count",
  "sum",
  "avg",
  "min",
  "max",
  "stddev",
  "stddev_pop",
  "stddev_samp",
  "variance",
  "var_pop",
  "var_samp",
  "bool_and",
  "bool_or",
  "every",
  "string_agg",
  "array_agg",
  "percentile_cont",
  "percentile_disc",
  "mode",
  "lower",
  "upper",
  "length",
  "char_length",
  "character_length",
  "trim",
  "btrim",
  "ltrim",
  "rtrim",
  "substring",
  "substr",
  "replace",
  "concat",
  "concat_ws",
  "left",
  "right",
  "position",
  "strpos",
  "split_part",
  "starts_with",
  "round",
  "trunc",
  "floor",
  "ceil",
  "ceiling",
  "abs",
  "sign",
  "mod",
  "power",
  "sqrt",
  "date_trunc",
  "date_part",
  "extract",
  "age",
  "to_char",
  "make_date",
  "row_number",
  "rank",
  "dense_rank",
  "percent_rank",
  "cume_dist",
  "ntile",
  "lag",
  "lead",
  "first_value",
  "last_value",
]);

/**
 * Node types a read-only SELECT is built from. Anything else (a statement other than SELECT, a
 * function in FROM, a parameter, a CTE, a locking clause) is refused by name before it runs.
 */
const allowedNodes = new Set([
  "SelectStmt",
  "ResTarget",
  "ColumnRef",
  "String",
  "A_Star",
  "A_Const",
  "Integer",
  "Float",
  "Boolean",
  "A_Expr",
  "BoolExpr",
  "NullTest",
  "BooleanTest",
  "FuncCall",
  "SortBy",
  "RangeVar",
  "JoinExpr",
  "Alias",
  "RangeSubselect",
  "SubLink",
  "CaseExpr",
  "CaseWhen",
  "CoalesceExpr",
  "MinMaxExpr",
  "NullIfExpr",
  "TypeCast",
  "TypeName",
  "List",
  "A_ArrayExpr",
  "SQLValueFunction",
  "WindowDef",
  "GroupingSet",
  "RowExpr",
]);

/** Date and time keywords only: CURRENT_USER, CURRENT_SCHEMA and the like say things about the server. */
const allowedValueFunctions = /^SVFOP_(CURRENT|LOCAL)(DATE|TIME|TIMESTAMP)/;

/**
 * Imported on first use: loading the parser compiles its WebAssembly, which only the `sql` tool needs. In a
 * Lambda bundle the .wasm travels beside the bundle (scripts/lambda/esbuild-plugins.cjs); should it be
 * missing, only the `sql` tool fails, saying so.
 */
let parserLoaded: Promise<Parser> | undefined;

function parser(): Promise<Parser> {
  parserLoaded ??= import("libpg-query").then(async (module) => {
    await module.loadModule();
    return module;
  });
  return parserLoaded.catch((error: unknown) => {
    parserLoaded = undefined;
    throw new ComponentUnavailableError("sql parser", {
      cause: error,
      message: "the PostgreSQL parser (libpg-query) is not available here",
    });
  });
}

/**
 * Checks a model's SQL with PostgreSQL's own parser and returns the one statement's text: a single
 * SELECT, no INTO, no locking, no WITH, over the allowed tables (in the allowed schema) and columns,
 * calling allowed functions only. Throws InvalidSqlError naming the first thing refused.
 * @example const text = await checkSql("SELECT name, price FROM products ORDER BY price LIMIT 1", allowance)
 */
export async function checkSql(sql: string, allowance: SqlAllowance): Promise<string> {
  const { parseSync } = await parser();
  let parsed: { stmts?: { stmt?: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
  try {
    parsed = parseSync(sql) as typeof parsed;
  } catch (error) {
    throw new InvalidSqlError(`the SQL does not parse: ${error instanceof Error ? error.message : String(error)}`);
  }
  const statements = parsed.stmts ?? [];
  if (statements.length !== 1) {
    throw new InvalidSqlError(`send exactly one statement (this has ${statements.length})`);
  }
  const [entry] = statements;
  const kind = Object.keys(entry?.stmt ?? {})[0];
  if (kind !== "SelectStmt") throw new InvalidSqlError(`only SELECT is allowed, not ${kind ?? "an empty statement"}`);
  // Clauses first, so `WITH x AS (DELETE …)` is refused for what it is, not for naming a table 'x'.
  visit(entry?.stmt, "SelectStmt", checkClauses);
  const names = declaredNames(entry?.stmt);
  const tables = referencedTables(entry?.stmt, allowance);
  const columns = new Set([...tables].flatMap((table) => [...(allowance.tables.get(table) ?? [])]));
  walk(entry?.stmt, { allowance, columns, names: new Set([...names, ...tables]) });
  return qualifiedStatement(sql, entry ?? {}, allowance.schema);
}

/**
 * The statement's text with every unqualified table prefixed by the allowed schema, so it reads
 * that schema whatever the connection's search_path. The parser's locations are byte offsets.
 */
function qualifiedStatement(
  sql: string,
  entry: { stmt?: unknown; stmt_location?: number; stmt_len?: number },
  schema: string,
): string {
  const bytes = Buffer.from(sql, "utf8");
  const start = entry.stmt_location ?? 0;
  const end = entry.stmt_len ? start + entry.stmt_len : bytes.length;
  const locations: number[] = [];
  visit(entry.stmt, "RangeVar", (node) => {
    if (!node.schemaname && typeof node.location === "number") locations.push(node.location - start);
  });
  const prefix = Buffer.from(`"${schema.replace(/"/g, '""')}".`, "utf8");
  let statement = bytes.subarray(start, end);
  for (const at of locations.sort((a, b) => b - a)) {
    statement = Buffer.concat([statement.subarray(0, at), prefix, statement.subarray(at)]);
  }
  return statement.toString("utf8");
}

interface WalkScope {
  allowance: SqlAllowance;
  /** Columns of the tables the statement reads. */
  columns: ReadonlySet<string>;
  /** Output names and aliases the statement declares, and its table names (usable as qualifiers). */
  names: ReadonlySet<string>;
}

function walk(value: unknown, scope: WalkScope): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, scope);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    // Node types are capitalised keys holding the node's fields; anything else is a field.
    if (/^[A-Z]/.test(key)) checkNode(key, child as Record<string, unknown>, scope);
    walk(child, scope);
  }
}

function checkNode(type: string, node: Record<string, unknown>, scope: WalkScope): void {
  if (!allowedNodes.has(type)) throw new InvalidSqlError(`${type} is not allowed in a read-only query`);
  if (type === "FuncCall") {
    const name = strings(node.funcname);
    const bare = name.at(-1)?.toLowerCase() ?? "";
    if (name.length > 1 && !(name.length === 2 && name[0] === "pg_catalog")) {
      throw new InvalidSqlError(`function '${name.join(".")}' is not allowed (no schema-qualified functions)`);
    }
    if (!allowedSqlFunctions.has(bare)) throw new InvalidSqlError(`function '${bare}' is not allowed`);
  } else if (type === "ColumnRef") {
    checkColumn(node, scope);
  } else if (type === "TypeCast") {
    // reg* types look names up in the catalogs ('pg_authid'::regclass): a probe, not a value.
    const name = strings((node.typeName as { names?: unknown } | undefined)?.names);
    const bare = name.at(-1)?.toLowerCase() ?? "";
    if (bare.startsWith("reg")) throw new InvalidSqlError(`a cast to ${bare} is not allowed`);
  } else if (type === "SQLValueFunction") {
    if (!allowedValueFunctions.test(String(node.op ?? ""))) {
      throw new InvalidSqlError(`${String(node.op ?? "this value function").replace(/^SVFOP_/, "")} is not allowed`);
    }
  }
}

function checkClauses(node: Record<string, unknown>): void {
  if (node.intoClause) throw new InvalidSqlError("SELECT INTO is not allowed");
  if (node.lockingClause) throw new InvalidSqlError("FOR UPDATE/SHARE is not allowed");
  if (node.withClause) throw new InvalidSqlError("WITH is not allowed; use a subquery in FROM");
}

function checkColumn(node: Record<string, unknown>, scope: WalkScope): void {
  const fields = Array.isArray(node.fields) ? node.fields : [];
  const parts = fields.map((field) =>
    typeof field === "object" && field !== null && "String" in field ? strings([field])[0] : "*",
  );
  if (parts.length > 2) throw new InvalidSqlError(`'${parts.join(".")}' is not allowed: name columns as table.column`);
  const [qualifier, column] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (qualifier !== undefined && !scope.names.has(qualifier ?? "")) {
    throw new InvalidSqlError(`'${qualifier}' is neither a table of this query nor an alias`);
  }
  if (column === "*" || column === undefined) return;
  if (!scope.columns.has(column) && !scope.names.has(column)) {
    throw new InvalidSqlError(`unknown or not allowed column '${column}'`);
  }
}

/** Every table the statement reads, each checked against the allowance. */
function referencedTables(statement: unknown, allowance: SqlAllowance): Set<string> {
  const tables = new Set<string>();
  visit(statement, "RangeVar", (node) => {
    const table = String(node.relname ?? "");
    if (node.catalogname || (node.schemaname && node.schemaname !== allowance.schema)) {
      throw new InvalidSqlError(`table '${[node.schemaname, table].filter(Boolean).join(".")}' is not allowed`);
    }
    if (!allowance.tables.has(table)) {
      throw new InvalidSqlError(
        `table '${table}' is not allowed; allowed: ${[...allowance.tables.keys()].map((name) => `'${name}'`).join(", ")}`,
      );
    }
    tables.add(table);
  });
  return tables;
}

/** Output names, table aliases and a subquery's column aliases: names the statement itself declares. */
function declaredNames(statement: unknown): Set<string> {
  const names = new Set<string>();
  visit(statement, "ResTarget", (node) => {
    if (typeof node.name === "string") names.add(node.name);
  });
  // An alias is a field of its table or subquery (`alias: {aliasname, colnames}`), not a node of its own.
  const addAlias = (node: Record<string, unknown>) => {
    const alias = node.alias as { aliasname?: unknown; colnames?: unknown } | undefined;
    if (typeof alias?.aliasname === "string") names.add(alias.aliasname);
    for (const column of strings(alias?.colnames)) names.add(column);
  };
  visit(statement, "RangeVar", addAlias);
  visit(statement, "RangeSubselect", addAlias);
  return names;
}

function visit(value: unknown, type: string, onNode: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, type, onNode);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === type && typeof child === "object" && child !== null) onNode(child as Record<string, unknown>);
    visit(child, type, onNode);
  }
}

/** The `sval`s of a list of `{String: {sval}}` nodes (names as the parser gives them). */
function strings(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => {
    const sval = (item as { String?: { sval?: unknown } })?.String?.sval;
    return typeof sval === "string" ? [sval] : [];
  });
}
