import pg from "pg";
import type { PostgresConnector } from "../sources/index.js";
import { QueryTimeoutError } from "./errors.js";
import type { ResultRow } from "./evaluate.js";
import type { PlannedFilter, QueryPlan } from "./plan.js";
import { normalizeValue, roundAggregate, type ValueType } from "./values.js";

const { escapeIdentifier: quote } = pg;

/** Text compares and sorts byte-wise, as MongoDB and the file evaluation do, whatever the database's collation. */
const collated = (sql: string, type: ValueType) => (type === "text" ? `${sql} COLLATE "C"` : sql);
const parameterTypes: Partial<Record<ValueType, string>> = {
  number: "numeric",
  text: "text",
  date: "timestamptz",
  boolean: "boolean",
};
const comparisons = { eq: "=", ne: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

/** The plan as one SELECT: quoted identifiers, every value a bound parameter, positional result names. */
export function buildSql(plan: QueryPlan, qualifiedTable: string): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const bind = (value: unknown, type: ValueType) => {
    values.push(value);
    return `$${values.length}::${parameterTypes[type] ?? "text"}`;
  };
  const where = plan.filters.map((filter) => condition(filter, bind));
  const whereSql = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  const limit = ` LIMIT ${plan.limit + 1}`;
  const orderSql = (name: (key: string) => string) =>
    plan.order.length
      ? ` ORDER BY ${plan.order
          .map(
            (entry) =>
              `${collated(name(entry.key), entry.type)} ${entry.direction === "asc" ? "ASC NULLS LAST" : "DESC NULLS LAST"}`,
          )
          .join(", ")}`
      : "";

  if (plan.mode === "rows") {
    const select = plan.columns.map((column, index) => `${quote(column)} AS "c${index}"`).join(", ");
    return { sql: `SELECT ${select} FROM ${qualifiedTable}${whereSql}${orderSql(quote)}${limit}`, values };
  }
  const keys = plan.groupBy.map((column, index) => `${quote(column)} AS "k${index}"`);
  const aggregates = plan.aggregates.map((aggregate, index) => {
    const column = aggregate.column ? quote(aggregate.column) : "*";
    const expression = {
      count: `count(${column})`,
      count_distinct: `count(DISTINCT ${column})`,
      // The sum of no values is 0 here, as MongoDB's $sum gives it (see docs/query.md).
      sum: `COALESCE(sum(${column}), 0)`,
      avg: `avg(${column})`,
      min: `min(${collated(column, aggregate.type)})`,
      max: `max(${collated(column, aggregate.type)})`,
    }[aggregate.function];
    return `${expression} AS "a${index}"`;
  });
  const groupSql = keys.length ? ` GROUP BY ${keys.map((_, index) => index + 1).join(", ")}` : "";
  const positional = new Map([
    ...plan.groupBy.map((column, index) => [column, `"k${index}"`] as const),
    ...plan.aggregates.map((aggregate, index) => [aggregate.alias, `"a${index}"`] as const),
  ]);
  const inner = `SELECT ${[...keys, ...aggregates].join(", ")} FROM ${qualifiedTable}${whereSql}${groupSql}`;
  return {
    sql: `SELECT * FROM (${inner}) AS grouped${orderSql((key) => `grouped.${positional.get(key) ?? quote(key)}`)}${limit}`,
    values,
  };
}

function condition(filter: PlannedFilter, bind: (value: unknown, type: ValueType) => string): string {
  const column = quote(filter.column);
  switch (filter.op) {
    case "is_null":
      return `${column} IS NULL`;
    case "not_null":
      return `${column} IS NOT NULL`;
    case "contains":
      // strpos, not LIKE: the value is plain text, with no wildcard to escape.
      return `strpos(lower(${column}), lower(${bind(filter.value, "text")})) > 0`;
    case "in":
      return `${column} = ANY(${bind(filter.value, filter.type)}[])`;
    case "eq":
    case "ne":
      // Equality is byte equality under any deterministic collation: no COLLATE, so an index still serves it.
      return `${column} ${comparisons[filter.op]} ${bind(filter.value, filter.type)}`;
    default:
      return `${collated(column, filter.type)} ${comparisons[filter.op]} ${bind(filter.value, filter.type)}`;
  }
}

/** Runs the plan on the source's pool, read-only and time-limited; values come back in the common types. */
export async function runOnPostgres(
  connector: PostgresConnector,
  plan: QueryPlan,
  options: { timeoutMs: number },
): Promise<ResultRow[]> {
  const { sql, values } = buildSql(plan, connector.qualified(plan.table));
  let rows: Record<string, unknown>[];
  try {
    rows = await connector.readOnlyQuery(sql, values, { timeoutMs: options.timeoutMs, table: plan.table });
  } catch (error) {
    if ((error as { code?: unknown }).code === "57014")
      throw new QueryTimeoutError(connector.name, options.timeoutMs, error);
    throw error;
  }
  return rows.map((row) => {
    const result: ResultRow = {};
    if (plan.mode === "rows") {
      plan.output.forEach((column, index) => {
        result[column.name] = normalizeValue(column.type, row[`c${index}`], "postgresql");
      });
      return result;
    }
    plan.groupBy.forEach((column, index) => {
      result[column] = normalizeValue(plan.output[index]?.type ?? "other", row[`k${index}`], "postgresql");
    });
    plan.aggregates.forEach((aggregate, index) => {
      const raw = row[`a${index}`];
      const minOrMax = aggregate.function === "min" || aggregate.function === "max";
      const value = normalizeValue(minOrMax ? aggregate.type : "number", raw, "postgresql");
      result[aggregate.alias] =
        typeof value === "number" && (aggregate.function === "sum" || aggregate.function === "avg")
          ? roundAggregate(value)
          : value;
    });
    return result;
  });
}
