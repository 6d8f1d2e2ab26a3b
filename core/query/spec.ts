import { z } from "zod";
import { sourceNameSchema } from "../config/index.js";
import { checkFilterValue, filterOperators, filterValueSchema } from "../sources/index.js";

/** Rows one query may return; a larger `limit` is refused by the schema rather than silently cut. */
export const queryRowCap = 1_000;
export const defaultQueryLimit = 50;
/** Decimal places `sum` and `avg` are rounded to, so sums in different orders (and types) print the same. */
export const aggregateDecimals = 6;

export const queryFilterOperators = [...filterOperators, "contains"] as const;
export const aggregateFunctions = ["count", "count_distinct", "sum", "avg", "min", "max"] as const;
export type AggregateFunction = (typeof aggregateFunctions)[number];

const columnName = z.string().min(1).max(256);
/** Aliases become result keys and (quoted) SQL aliases: plain identifiers only. */
const aliasSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "letters, digits and '_', starting with a letter or '_' (at most 63)");

/**
 * A row filter as ingestion takes it, plus `contains` (case-insensitive substring of a text column).
 * Values are scalars bound as parameters, compared by the column's type (see docs/query.md).
 */
export const queryFilterSchema = z
  .object({
    column: columnName,
    op: z.enum(queryFilterOperators).default("eq"),
    value: filterValueSchema.optional(),
  })
  .strict()
  .superRefine(checkFilterValue);

export const aggregateSchema = z
  .object({
    function: z.enum(aggregateFunctions),
    /** The column aggregated; `count` without one counts rows. */
    column: columnName.optional(),
    /** The result column's name; default `<function>_<column>` (or `count` for rows). */
    alias: aliasSchema.optional(),
  })
  .strict();

export const orderSchema = z
  .object({
    /** A column of the result: a selected or grouped column, or an aggregate's alias. */
    key: z.string().min(1).max(256),
    direction: z.enum(["asc", "desc"]).default("asc"),
  })
  .strict();

/**
 * One structured query: rows of a table, filtered, optionally grouped and aggregated, ordered and
 * limited. Names are checked against the table's introspected schema when it runs, not here.
 * @example { source: "samples", table: "products.csv", filters: [{ column: "name", op: "contains", value: "standing desk" }],
 *            order_by: [{ key: "price" }], columns: ["name", "price"], limit: 1 }
 */
export const querySpecSchema = z
  .object({
    source: sourceNameSchema,
    table: z.string().min(1).max(256),
    /** Columns of a row query (no group_by, no aggregates); default: every column. */
    columns: z.array(columnName).min(1).max(100).optional(),
    filters: z.array(queryFilterSchema).max(20).default([]),
    group_by: z.array(columnName).min(1).max(5).optional(),
    aggregates: z.array(aggregateSchema).min(1).max(10).optional(),
    order_by: z.array(orderSchema).min(1).max(5).optional(),
    limit: z.number().int().min(1).max(queryRowCap).default(defaultQueryLimit),
  })
  .strict();

export type QuerySpecInput = z.input<typeof querySpecSchema>;
export type QuerySpec = z.infer<typeof querySpecSchema>;
export type QueryFilter = z.infer<typeof queryFilterSchema>;
export type Aggregate = z.infer<typeof aggregateSchema>;
