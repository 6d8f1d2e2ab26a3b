import { type SourceKind, type TableSchema, UnknownFieldsError } from "../sources/index.js";
import { InvalidQueryError } from "./errors.js";
import type { AggregateFunction, QueryFilter, QuerySpec } from "./spec.js";
import { normalizeValue, type QueryValue, toIsoInstant, type ValueType } from "./values.js";

export interface PlannedFilter {
  column: string;
  op: QueryFilter["op"];
  type: ValueType;
  /** Normalized to the column's type: a number, an ISO instant, a boolean or text; a list for `in`. */
  value: QueryValue | QueryValue[];
}

export interface PlannedAggregate {
  function: AggregateFunction;
  column: string | undefined;
  alias: string;
  /** The aggregated column's type (min and max keep it). */
  type: ValueType;
}

export interface OutputColumn {
  name: string;
  type: ValueType;
}

/** A spec checked against the table: every name known, every value of its column's type, the full order. */
export interface QueryPlan {
  spec: QuerySpec;
  kind: SourceKind;
  table: string;
  filters: PlannedFilter[];
  /** "rows" reads rows as they are; "groups" groups (one group without group_by) and aggregates. */
  mode: "rows" | "groups";
  /** Row mode: the columns read. */
  columns: string[];
  groupBy: string[];
  aggregates: PlannedAggregate[];
  output: OutputColumn[];
  /** The requested order, then every other orderable output column ascending, so ties never reorder. */
  order: { key: string; direction: "asc" | "desc"; type: ValueType }[];
  limit: number;
}

const orderable: ValueType[] = ["number", "text", "date", "boolean"];

export function planQuery(
  spec: QuerySpec,
  kind: SourceKind,
  schema: TableSchema,
  types: Map<string, ValueType>,
): QueryPlan {
  const grouped = spec.group_by !== undefined || spec.aggregates !== undefined;
  const named = [
    ...(spec.columns ?? []),
    ...spec.filters.map((filter) => filter.column),
    ...(spec.group_by ?? []),
    ...(spec.aggregates ?? []).flatMap((aggregate) => (aggregate.column ? [aggregate.column] : [])),
  ];
  const unknown = [...new Set(named.filter((name) => !types.has(name)))];
  if (unknown.length) throw new UnknownFieldsError(spec.source, spec.table, unknown);
  if (grouped && spec.columns) {
    throw new InvalidQueryError(
      "'columns' is for row queries; with group_by or aggregates the result holds the groups and aggregates",
    );
  }
  const typeOf = (column: string): ValueType => types.get(column) ?? "other";

  const filters = spec.filters.map((filter) => planFilter(filter, typeOf(filter.column)));
  const groupBy = [...new Set(spec.group_by ?? [])];
  const aggregates = (spec.aggregates ?? []).map((aggregate): PlannedAggregate => {
    const column = aggregate.column;
    if (!column && aggregate.function !== "count") {
      throw new InvalidQueryError(`${aggregate.function} needs a column`);
    }
    const type = column ? typeOf(column) : "number";
    const allowed: Record<AggregateFunction, ValueType[]> = {
      count: ["number", "text", "date", "boolean", "other"],
      count_distinct: ["number", "text", "date", "boolean"],
      sum: ["number"],
      avg: ["number"],
      min: ["number", "text", "date"],
      max: ["number", "text", "date"],
    };
    if (!allowed[aggregate.function].includes(type)) {
      throw new InvalidQueryError(`${aggregate.function} cannot take column '${column}' (its values are ${type})`, {
        column,
      });
    }
    return {
      function: aggregate.function,
      column,
      alias: aggregate.alias ?? (column ? `${aggregate.function}_${column.replace(/\W/g, "_")}` : "count"),
      type,
    };
  });
  const aliases = aggregates.map((aggregate) => aggregate.alias);
  const clash = aliases.filter((alias, index) => aliases.indexOf(alias) !== index || groupBy.includes(alias));
  if (clash.length) throw new InvalidQueryError(`result column name(s) used twice: ${[...new Set(clash)].join(", ")}`);

  const columns = grouped ? [] : [...new Set(spec.columns ?? defaultColumns(schema))];
  const output: OutputColumn[] = grouped
    ? [
        ...groupBy.map((name) => ({ name, type: typeOf(name) })),
        ...aggregates.map((aggregate) => ({
          name: aggregate.alias,
          type: ["min", "max"].includes(aggregate.function) ? aggregate.type : ("number" as ValueType),
        })),
      ]
    : columns.map((name) => ({ name, type: typeOf(name) }));

  const byName = new Map(output.map((column) => [column.name, column]));
  const order = (spec.order_by ?? []).map((entry) => {
    const column = byName.get(entry.key);
    if (!column) {
      throw new InvalidQueryError(
        `order_by '${entry.key}' is not a column of the result (${[...byName.keys()].join(", ")})`,
        {
          key: entry.key,
        },
      );
    }
    if (!orderable.includes(column.type))
      throw new InvalidQueryError(`'${entry.key}' cannot be ordered (${column.type})`);
    return { key: entry.key, direction: entry.direction, type: column.type };
  });
  for (const column of output) {
    if (orderable.includes(column.type) && !order.some((entry) => entry.key === column.name)) {
      order.push({ key: column.name, direction: "asc", type: column.type });
    }
  }
  const filledSpec: QuerySpec = {
    ...spec,
    ...(spec.aggregates
      ? {
          aggregates: aggregates.map(({ function: fn, column, alias }) => ({
            function: fn,
            ...(column ? { column } : {}),
            alias,
          })),
        }
      : {}),
  };
  return {
    spec: filledSpec,
    kind,
    table: spec.table,
    filters,
    mode: grouped ? "groups" : "rows",
    columns,
    groupBy,
    aggregates,
    output,
    order,
    limit: spec.limit,
  };
}

/** Top-level columns: a nested path is read through its parent. */
function defaultColumns(schema: TableSchema): string[] {
  const names = schema.columns.map((column) => column.name);
  return names.filter((name) => !names.some((other) => name.startsWith(`${other}.`)));
}

const operatorTypes: Record<QueryFilter["op"], ValueType[]> = {
  eq: ["number", "text", "date", "boolean"],
  ne: ["number", "text", "date", "boolean"],
  in: ["number", "text", "date", "boolean"],
  gt: ["number", "text", "date"],
  gte: ["number", "text", "date"],
  lt: ["number", "text", "date"],
  lte: ["number", "text", "date"],
  contains: ["text"],
  is_null: ["number", "text", "date", "boolean", "other"],
  not_null: ["number", "text", "date", "boolean", "other"],
};

function planFilter(filter: QueryFilter, type: ValueType): PlannedFilter {
  if (!operatorTypes[filter.op].includes(type)) {
    throw new InvalidQueryError(
      `filter '${filter.op}' cannot apply to column '${filter.column}' (its values are ${type})`,
      {
        column: filter.column,
      },
    );
  }
  const coerce = (value: unknown): QueryValue => {
    // Filter values arrive as JSON: text is read as the column's type, as a CSV cell would be.
    const coerced = type === "date" ? toIsoInstant(String(value)) : normalizeValue(type, value, "jsonl");
    if (coerced === null) {
      throw new InvalidQueryError(
        `filter value ${JSON.stringify(value)} is not a ${type} (column '${filter.column}')`,
        {
          column: filter.column,
        },
      );
    }
    return coerced;
  };
  if (filter.op === "is_null" || filter.op === "not_null")
    return { column: filter.column, op: filter.op, type, value: null };
  const value = Array.isArray(filter.value) ? filter.value.map(coerce) : coerce(filter.value);
  return { column: filter.column, op: filter.op, type, value };
}
