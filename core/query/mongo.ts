import type { Document } from "mongodb";
import type { MongoConnector } from "../sources/index.js";
import { QueryTimeoutError } from "./errors.js";
import { Deadline, evaluate, type ResultRow, rowOrder } from "./evaluate.js";
import type { PlannedFilter, QueryPlan } from "./plan.js";
import { normalizeValue, roundAggregate } from "./values.js";

/**
 * How MongoDB runs a plan. FerretDB 1.24 implements only `$count` and `$sum` as `$group`
 * accumulators (no `$avg`, `$min`, `$max`, `$addToSet`, `$push`, `$first`), no `$cond` or `$ifNull`,
 * and its `$project` does not evaluate paths such as `"$_id.k0"`. Nulls sort last in either
 * direction here, which MongoDB's `$sort` cannot say without `$cond`; FerretDB sorts in memory after
 * reading anyway, so ordering in code costs it nothing. So: row queries are one streamed find with
 * the filters and a projection, the first `limit` rows kept in order in code; groups whose
 * only aggregate is a `count` of rows or a `sum` (FerretDB returns 0 for every accumulator of a
 * `$group` after the first) run as a pipeline ($match, $group; keys unpacked,
 * sorted and limited in code); the other aggregates are computed in code over one streamed find
 * that applies the filters and projects only the columns they need.
 */
export type MongoExecution = "mongodb_find" | "mongodb_pipeline" | "mongodb_find_in_code";

export function mongoExecution(plan: QueryPlan): MongoExecution {
  if (plan.mode === "rows") return "mongodb_find";
  // FerretDB 1.24 computes only the first accumulator of a $group: later ones come back as 0.
  const native =
    plan.aggregates.length <= 1 &&
    plan.aggregates.every(
      (aggregate) => (aggregate.function === "count" && !aggregate.column) || aggregate.function === "sum",
    );
  return native ? "mongodb_pipeline" : "mongodb_find_in_code";
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Filters as a query document; values are typed (dates as Date when the column holds dates). */
export function mongoQuery(filters: readonly PlannedFilter[]): Document {
  const bson = (filter: PlannedFilter, value: unknown) =>
    filter.type === "date" && typeof value === "string" ? new Date(value) : value;
  const clauses = filters.map((filter): Document => {
    const value = Array.isArray(filter.value)
      ? filter.value.map((item) => bson(filter, item))
      : bson(filter, filter.value);
    switch (filter.op) {
      case "is_null":
        return { [filter.column]: null };
      case "not_null":
        return { [filter.column]: { $ne: null } };
      // `$ne` alone would also match documents without the field; SQL's <> never matches null.
      case "ne":
        return { [filter.column]: { $nin: [value, null] } };
      case "contains":
        return { [filter.column]: { $regex: escapeRegex(String(value)), $options: "i" } };
      default:
        return { [filter.column]: { [`$${filter.op}`]: value } };
    }
  });
  if (clauses.length === 0) return {};
  return clauses.length === 1 ? (clauses[0] as Document) : { $and: clauses };
}

export async function runOnMongo(
  connector: MongoConnector,
  plan: QueryPlan,
  options: { timeoutMs: number },
): Promise<{ rows: ResultRow[]; execution: MongoExecution }> {
  try {
    return await runPlan(connector, plan, options);
  } catch (error) {
    // MaxTimeMSExpired: the server stopped the query at QUERY_TIMEOUT_MS.
    if ((error as { code?: unknown }).code === 50)
      throw new QueryTimeoutError(connector.name, options.timeoutMs, error);
    throw error;
  }
}

async function runPlan(
  connector: MongoConnector,
  plan: QueryPlan,
  options: { timeoutMs: number },
): Promise<{ rows: ResultRow[]; execution: MongoExecution }> {
  const deadline = new Deadline(connector.name, options.timeoutMs);
  const execution = mongoExecution(plan);
  const filter = mongoQuery(plan.filters);
  if (execution === "mongodb_find") {
    const documents = connector.find(plan.table, {
      filter,
      projection: projection(plan.columns),
      maxTimeMS: options.timeoutMs,
    });
    return { rows: await evaluate(plan, documents, { kind: "mongodb", filtered: true, deadline }), execution };
  }
  if (execution === "mongodb_find_in_code") {
    const needed = [
      ...plan.groupBy,
      ...plan.aggregates.flatMap((aggregate) => (aggregate.column ? [aggregate.column] : [])),
    ];
    const documents = connector.find(plan.table, {
      filter,
      projection: projection(needed),
      maxTimeMS: options.timeoutMs,
    });
    return { rows: await evaluate(plan, documents, { kind: "mongodb", filtered: true, deadline }), execution };
  }
  const group: Document = {
    // One key groups by the field itself: FerretDB groups by a document key several times slower.
    _id:
      plan.groupBy.length === 1
        ? `$${plan.groupBy[0]}`
        : plan.groupBy.length
          ? Object.fromEntries(plan.groupBy.map((column, index) => [`k${index}`, `$${column}`]))
          : null,
  };
  plan.aggregates.forEach((aggregate, index) => {
    group[`a${index}`] = { $sum: aggregate.column ? `$${aggregate.column}` : 1 };
  });
  const pipeline: Document[] = [...(Object.keys(filter).length ? [{ $match: filter }] : []), { $group: group }];
  const documents = await connector.aggregate(plan.table, pipeline, { maxTimeMS: options.timeoutMs });
  const rows = documents.map((document) => {
    const row: ResultRow = {};
    const key: Record<string, unknown> =
      plan.groupBy.length === 1 ? { k0: document._id } : ((document._id ?? {}) as Record<string, unknown>);
    plan.groupBy.forEach((column, index) => {
      row[column] = normalizeValue(plan.output[index]?.type ?? "other", key[`k${index}`], "mongodb");
    });
    plan.aggregates.forEach((aggregate, index) => {
      const value = normalizeValue("number", document[`a${index}`], "mongodb");
      row[aggregate.alias] =
        aggregate.function === "sum" ? roundAggregate(typeof value === "number" ? value : 0) : value;
    });
    return row;
  });
  // $group over no documents gives no group; without group_by, SQL still answers one row of zeros.
  if (rows.length === 0 && plan.groupBy.length === 0) {
    rows.push(Object.fromEntries(plan.aggregates.map((aggregate) => [aggregate.alias, 0])));
  }
  return { rows: rows.sort(rowOrder(plan)).slice(0, plan.limit + 1), execution };
}

/** Only the columns asked for; `_id` only when one of them. */
function projection(columns: readonly string[]): Document {
  const fields = columns.filter((column) => !columns.some((other) => column.startsWith(`${other}.`)));
  return { ...(fields.includes("_id") ? {} : { _id: 0 }), ...Object.fromEntries(fields.map((field) => [field, 1])) };
}
