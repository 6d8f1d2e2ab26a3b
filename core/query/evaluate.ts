import { readPath, type SourceKind, type SourceRow } from "../sources/index.js";
import { QueryTimeoutError } from "./errors.js";
import type { PlannedFilter, QueryPlan } from "./plan.js";
import { compareValues, normalizeValue, type QueryValue, roundAggregate } from "./values.js";

export type ResultRow = Record<string, QueryValue>;

/** When a query evaluated in code must stop; `check` throws QueryTimeoutError past it. */
export class Deadline {
  private readonly at: number;
  constructor(
    private readonly source: string,
    private readonly timeoutMs: number,
  ) {
    this.at = Date.now() + timeoutMs;
  }
  check(): void {
    if (Date.now() > this.at) throw new QueryTimeoutError(this.source, this.timeoutMs);
  }
}

/** Whether a row (its values normalized to the columns' types) passes every filter; null fails all but is_null. */
export function passes(values: (column: string) => QueryValue, filters: readonly PlannedFilter[]): boolean {
  return filters.every((filter) => {
    const value = values(filter.column);
    if (filter.op === "is_null") return value === null;
    if (value === null) return false;
    if (filter.op === "not_null") return true;
    if (filter.op === "in") return (filter.value as QueryValue[]).some((item) => compareValues(value, item) === 0);
    if (filter.op === "contains") {
      return String(value).toLowerCase().includes(String(filter.value).toLowerCase());
    }
    const order = compareValues(value, filter.value as QueryValue);
    return {
      eq: order === 0,
      ne: order !== 0,
      gt: order > 0,
      gte: order >= 0,
      lt: order < 0,
      lte: order <= 0,
    }[filter.op];
  });
}

/** The plan's full order as a comparator over result rows; nulls last in either direction. */
export function rowOrder(plan: QueryPlan): (left: ResultRow, right: ResultRow) => number {
  return (left, right) => {
    for (const { key, direction } of plan.order) {
      const a = left[key] ?? null;
      const b = right[key] ?? null;
      if (a === null || b === null) {
        if (a !== b) return a === null ? 1 : -1;
        continue;
      }
      const order = compareValues(a, b);
      if (order !== 0) return direction === "asc" ? order : -order;
    }
    return 0;
  };
}

interface Accumulator {
  rows: number;
  values: number[];
  sums: number[];
  distinct: Set<string>[];
  extremes: QueryValue[];
}

function emptyAccumulator(plan: QueryPlan): Accumulator {
  return {
    rows: 0,
    values: plan.aggregates.map(() => 0),
    sums: plan.aggregates.map(() => 0),
    distinct: plan.aggregates.map(() => new Set<string>()),
    extremes: plan.aggregates.map(() => null),
  };
}

/**
 * Streaming evaluation in code: filters (unless the source applied them), then either the first
 * `limit + 1` rows in order (memory bounded by the limit) or groups with their aggregates (memory
 * bounded by the number of groups). Used for files, and for MongoDB where FerretDB lacks the stage.
 */
export async function evaluate(
  plan: QueryPlan,
  rows: AsyncIterable<SourceRow>,
  options: { kind: SourceKind; filtered: boolean; deadline?: Deadline },
): Promise<ResultRow[]> {
  let seen = 0;
  // The same QUERY_TIMEOUT_MS as on the databases: checked every thousand rows, a file cannot run on for ever.
  const check = () => {
    if (++seen % 1_000 === 0) options.deadline?.check();
  };
  const typeOf = new Map<string, QueryPlan["output"][number]["type"]>();
  for (const filter of plan.filters) typeOf.set(filter.column, filter.type);
  for (const column of plan.output) typeOf.set(column.name, column.type);
  for (const aggregate of plan.aggregates) if (aggregate.column) typeOf.set(aggregate.column, aggregate.type);
  const read = (row: SourceRow) => (column: string) =>
    normalizeValue(typeOf.get(column) ?? "other", readPath(row, column), options.kind);
  const order = rowOrder(plan);

  if (plan.mode === "rows") {
    const keep = plan.limit + 1;
    let kept: ResultRow[] = [];
    for await (const row of rows) {
      check();
      const values = read(row);
      if (!options.filtered && !passes(values, plan.filters)) continue;
      kept.push(Object.fromEntries(plan.columns.map((column) => [column, values(column)])));
      // Sort and trim now and then, so memory stays near the limit however long the table is.
      if (kept.length >= keep * 2 + 1_000) kept = kept.sort(order).slice(0, keep);
    }
    return kept.sort(order).slice(0, keep);
  }

  const groups = new Map<string, { key: QueryValue[]; accumulator: Accumulator }>();
  for await (const row of rows) {
    check();
    const values = read(row);
    if (!options.filtered && !passes(values, plan.filters)) continue;
    const key = plan.groupBy.map((column) => values(column));
    const id = JSON.stringify(key);
    let group = groups.get(id);
    if (!group) {
      group = {
        key,
        accumulator: emptyAccumulator(plan),
      };
      groups.set(id, group);
    }
    accumulate(plan, group.accumulator, values);
  }
  // Aggregates over no rows at all still give one row (count 0), as SQL does without GROUP BY.
  if (plan.groupBy.length === 0 && groups.size === 0) {
    groups.set("[]", {
      key: [],
      accumulator: emptyAccumulator(plan),
    });
  }
  const results = [...groups.values()].map(({ key, accumulator }) => {
    const row: ResultRow = {};
    plan.groupBy.forEach((column, index) => {
      row[column] = key[index] ?? null;
    });
    plan.aggregates.forEach((aggregate, index) => {
      const count = accumulator.values[index] ?? 0;
      const sum = accumulator.sums[index] ?? 0;
      row[aggregate.alias] = {
        count: aggregate.column ? count : accumulator.rows,
        count_distinct: accumulator.distinct[index]?.size ?? 0,
        sum: roundAggregate(sum),
        avg: count ? roundAggregate(sum / count) : null,
        min: accumulator.extremes[index] ?? null,
        max: accumulator.extremes[index] ?? null,
      }[aggregate.function];
    });
    return row;
  });
  return results.sort(order).slice(0, plan.limit + 1);
}

function accumulate(plan: QueryPlan, accumulator: Accumulator, values: (column: string) => QueryValue): void {
  accumulator.rows++;
  plan.aggregates.forEach((aggregate, index) => {
    if (!aggregate.column) return;
    const value = values(aggregate.column);
    if (value === null) return;
    accumulator.values[index] = (accumulator.values[index] ?? 0) + 1;
    if (aggregate.function === "sum" || aggregate.function === "avg") {
      accumulator.sums[index] = (accumulator.sums[index] ?? 0) + (value as number);
    } else if (aggregate.function === "count_distinct") {
      accumulator.distinct[index]?.add(JSON.stringify(value));
    } else if (aggregate.function === "min" || aggregate.function === "max") {
      const current = accumulator.extremes[index] ?? null;
      const order = current === null ? 0 : compareValues(value, current);
      if (current === null || (aggregate.function === "min" ? order < 0 : order > 0))
        accumulator.extremes[index] = value;
    }
  });
}
