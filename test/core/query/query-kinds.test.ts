import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type QuerySpecInput, querySpecSchema, runQuery } from "../../../core/query/index.js";
import { createQueryFixture, type QueryFixture } from "./query-fixture.js";

type Case = Omit<QuerySpecInput, "source" | "table"> & { expected?: Record<string, unknown>[] };

// Every case runs on PostgreSQL, FerretDB, CSV and JSONL; the four answers must be equal, and equal to `expected` when given.
const cases: Record<string, Case> = {
  "eq on text": {
    filters: [{ column: "category", op: "eq", value: "Desks" }],
    columns: ["id", "name", "price"],
    expected: [
      { id: 1, name: "Solace Standing Desk Classic", price: 151.48 },
      { id: 2, name: "Solace Standing Desk Pro", price: 389 },
    ],
  },
  "ne never matches null": {
    filters: [{ column: "category", op: "ne", value: "Desks" }],
    columns: ["id"],
    expected: [{ id: 3 }, { id: 4 }, { id: 5 }, { id: 7 }, { id: 8 }],
  },
  "gt on numbers (text in CSV, compared as numbers)": {
    filters: [{ column: "price", op: "gt", value: 40 }],
    columns: ["id", "price"],
    order_by: [{ key: "price" }],
    expected: [
      { id: 8, price: 45 },
      { id: 5, price: 89.95 },
      { id: 1, price: 151.48 },
      { id: 2, price: 389 },
    ],
  },
  "gte with the value as numeric text": {
    filters: [{ column: "price", op: "gte", value: "45" }],
    columns: ["id"],
    expected: [{ id: 1 }, { id: 2 }, { id: 5 }, { id: 8 }],
  },
  "lt and lte": {
    filters: [
      { column: "price", op: "lt", value: 151.48 },
      { column: "stock", op: "lte", value: 12 },
    ],
    columns: ["id"],
    expected: [{ id: 4 }, { id: 5 }, { id: 8 }],
  },
  "in on numbers and text": {
    filters: [
      { column: "id", op: "in", value: [1, 3, 5, 7, 99] },
      { column: "category", op: "in", value: ["Lighting", "Home", "Desks"] },
    ],
    columns: ["id"],
    expected: [{ id: 1 }, { id: 3 }, { id: 7 }],
  },
  "is_null (a missing field in MongoDB, an empty cell in CSV)": {
    filters: [{ column: "stock", op: "is_null" }],
    columns: ["id", "stock"],
    expected: [{ id: 2, stock: null }],
  },
  not_null: {
    filters: [{ column: "released", op: "not_null" }],
    columns: ["id"],
    order_by: [{ key: "id", direction: "desc" }],
    limit: 3,
    expected: [{ id: 8 }, { id: 7 }, { id: 6 }],
  },
  "contains, ignoring case": {
    filters: [{ column: "name", op: "contains", value: "ORBIT" }],
    columns: ["id", "name"],
    expected: [
      { id: 5, name: "Orbit Blender" },
      { id: 6, name: "orbit mixer" },
    ],
  },
  "contains with regex and LIKE characters taken literally": {
    filters: [{ column: "name", op: "contains", value: "desk.%" }],
    columns: ["id"],
    expected: [],
  },
  "dates: a day compared with an instant, zones respected": {
    filters: [{ column: "released", op: "gte", value: "2024-01-01" }],
    columns: ["id", "released", "updated_at"],
    expected: [
      { id: 1, released: "2024-01-15T00:00:00.000Z", updated_at: "2024-03-01T10:00:00.000Z" },
      { id: 2, released: "2024-06-01T00:00:00.000Z", updated_at: "2024-06-02T08:30:00.000Z" },
      { id: 6, released: "2024-02-29T00:00:00.000Z", updated_at: "2024-02-29T23:59:59.000Z" },
      { id: 8, released: "2024-06-01T00:00:00.000Z", updated_at: "2024-06-01T00:00:00.000Z" },
    ],
  },
  "date equality and a timestamp range": {
    filters: [
      { column: "updated_at", op: "lt", value: "2024-06-01T00:00:01Z" },
      { column: "updated_at", op: "gt", value: "2024-01-01T00:00:00+01:00" },
    ],
    columns: ["id"],
    expected: [{ id: 1 }, { id: 4 }, { id: 6 }, { id: 8 }],
  },
  booleans: {
    filters: [{ column: "active", op: "eq", value: false }],
    columns: ["id", "active"],
    expected: [
      { id: 3, active: false },
      { id: 6, active: false },
    ],
  },
  "the cheapest standing desk": {
    filters: [{ column: "name", op: "contains", value: "standing desk" }],
    columns: ["name", "price"],
    order_by: [{ key: "price", direction: "asc" }],
    limit: 1,
    expected: [{ name: "Solace Standing Desk Classic", price: 151.48 }],
  },
  "ordering puts nulls last both ways, text byte-wise": {
    columns: ["name", "price"],
    order_by: [{ key: "price", direction: "desc" }],
    limit: 3,
    expected: [
      { name: "Solace Standing Desk Pro", price: 389 },
      { name: "Solace Standing Desk Classic", price: 151.48 },
      { name: "Orbit Blender", price: 89.95 },
    ],
  },
  "ascending with nulls last, ties broken by the other columns": {
    columns: ["category", "name"],
    order_by: [{ key: "category" }],
    expected: [
      { category: "Desks", name: "Solace Standing Desk Classic" },
      { category: "Desks", name: "Solace Standing Desk Pro" },
      { category: "Home", name: "Zephyr Fan" },
      { category: "Kitchen", name: "Orbit Blender" },
      { category: "Kitchen", name: "Über Kettle" },
      { category: "Lighting", name: "Aurora Desk Lamp" },
      { category: "Lighting", name: "Kestrel Headlamp" },
      { category: null, name: "orbit mixer" },
    ],
  },
  "every aggregate per group": {
    group_by: ["category"],
    aggregates: [
      { function: "count" },
      { function: "count", column: "stock", alias: "stocked" },
      { function: "count_distinct", column: "released", alias: "release_days" },
      { function: "sum", column: "price" },
      { function: "avg", column: "price" },
      { function: "min", column: "price" },
      { function: "max", column: "price" },
      { function: "min", column: "name" },
      { function: "max", column: "released" },
    ],
    expected: [
      {
        category: "Desks",
        count: 2,
        stocked: 1,
        release_days: 2,
        sum_price: 540.48,
        avg_price: 270.24,
        min_price: 151.48,
        max_price: 389,
        min_name: "Solace Standing Desk Classic",
        max_released: "2024-06-01T00:00:00.000Z",
      },
      {
        category: "Home",
        count: 1,
        stocked: 1,
        release_days: 1,
        sum_price: 9,
        avg_price: 9,
        min_price: 9,
        max_price: 9,
        min_name: "Zephyr Fan",
        max_released: "2021-07-04T00:00:00.000Z",
      },
      {
        category: "Kitchen",
        count: 2,
        stocked: 2,
        release_days: 2,
        sum_price: 134.95,
        avg_price: 67.475,
        min_price: 45,
        max_price: 89.95,
        min_name: "Orbit Blender",
        max_released: "2024-06-01T00:00:00.000Z",
      },
      {
        category: "Lighting",
        count: 2,
        stocked: 2,
        release_days: 1,
        sum_price: 59.49,
        avg_price: 29.745,
        min_price: 24.99,
        max_price: 34.5,
        min_name: "Aurora Desk Lamp",
        max_released: "2023-11-20T00:00:00.000Z",
      },
      {
        category: null,
        count: 1,
        stocked: 1,
        release_days: 1,
        sum_price: 0,
        avg_price: null,
        min_price: null,
        max_price: null,
        min_name: "orbit mixer",
        max_released: "2024-02-29T00:00:00.000Z",
      },
    ],
  },
  "a sum per group (MongoDB's native pipeline), ordered by it": {
    group_by: ["category"],
    aggregates: [{ function: "sum", column: "stock", alias: "units" }],
    order_by: [{ key: "units", direction: "desc" }],
    limit: 3,
    expected: [
      { category: "Home", units: 100 },
      { category: "Lighting", units: 40 },
      { category: "Kitchen", units: 19 },
    ],
  },
  "count and sum per group (computed in code on MongoDB: FerretDB sums only its first accumulator)": {
    group_by: ["category"],
    aggregates: [
      { function: "count", alias: "n" },
      { function: "sum", column: "stock", alias: "units" },
    ],
    order_by: [{ key: "n", direction: "desc" }],
    expected: [
      { category: "Desks", n: 2, units: 5 },
      { category: "Kitchen", n: 2, units: 19 },
      { category: "Lighting", n: 2, units: 40 },
      { category: "Home", n: 1, units: 100 },
      { category: null, n: 1, units: 3 },
    ],
  },
  "aggregates without groups": {
    aggregates: [
      { function: "count" },
      { function: "sum", column: "stock" },
      { function: "avg", column: "price" },
      { function: "min", column: "updated_at" },
      { function: "max", column: "name" },
    ],
    expected: [
      {
        count: 8,
        sum_stock: 167,
        avg_price: 106.274286,
        min_updated_at: "2021-07-04T00:00:00.000Z",
        max_name: "Über Kettle",
      },
    ],
  },
  "aggregates over no rows: count 0, sum 0, avg and min null": {
    filters: [{ column: "price", op: "gt", value: 10_000 }],
    aggregates: [
      { function: "count" },
      { function: "sum", column: "price" },
      { function: "avg", column: "price" },
      { function: "min", column: "released" },
    ],
    expected: [{ count: 0, sum_price: 0, avg_price: null, min_released: null }],
  },
  "a count without groups over no rows (pipeline)": {
    filters: [{ column: "name", op: "eq", value: "nothing" }],
    aggregates: [{ function: "count" }],
    expected: [{ count: 0 }],
  },
  "two group columns, booleans and nulls as keys": {
    filters: [{ column: "category", op: "in", value: ["Desks", "Kitchen"] }],
    group_by: ["category", "active"],
    aggregates: [{ function: "count" }],
    expected: [
      { category: "Desks", active: true, count: 2 },
      { category: "Kitchen", active: true, count: 1 },
      { category: "Kitchen", active: null, count: 1 },
    ],
  },
  "group_by alone lists distinct values": {
    group_by: ["category"],
    order_by: [{ key: "category", direction: "desc" }],
    expected: [
      { category: "Lighting" },
      { category: "Kitchen" },
      { category: "Home" },
      { category: "Desks" },
      { category: null },
    ],
  },
  "limit cuts and says so": {
    columns: ["id"],
    order_by: [{ key: "id" }],
    limit: 2,
    expected: [{ id: 1 }, { id: 2 }],
  },
};

describe("structured queries give the same answers on PostgreSQL, FerretDB, CSV and JSONL", { timeout: 60_000 }, () => {
  let fixture: QueryFixture;

  beforeAll(async () => {
    fixture = await createQueryFixture("query");
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const kinds = ["postgres", "mongo", "csv", "jsonl"] as const;
  const runOn = (kind: (typeof kinds)[number], spec: Omit<QuerySpecInput, "source" | "table">) =>
    runQuery(
      fixture.context,
      querySpecSchema.parse({ ...spec, source: fixture.sources[kind], table: fixture.tables[kind] }),
    );

  for (const [name, { expected, ...spec }] of Object.entries(cases)) {
    it(name, async () => {
      const [postgres, mongo, csv, jsonl] = await Promise.all(kinds.map((kind) => runOn(kind, spec)));
      if (expected) expect(postgres?.rows).toEqual(expected);
      expect(mongo?.rows).toEqual(postgres?.rows);
      expect(csv?.rows).toEqual(postgres?.rows);
      expect(jsonl?.rows).toEqual(postgres?.rows);
      expect(jsonl?.columns).toEqual(postgres?.columns);
      expect(mongo?.columns).toEqual(postgres?.columns);
      expect(csv?.columns).toEqual(postgres?.columns);
      // The spec that ran comes back with the answer, defaults filled in.
      expect(postgres?.spec).toMatchObject({ table: "items", limit: spec.limit ?? 50 });
    });
  }

  it("says when the limit cut the rows, and which engine ran each kind", async () => {
    const answers = await Promise.all(kinds.map((kind) => runOn(kind, { columns: ["id"], limit: 2 })));
    expect(answers.map((answer) => answer.truncated)).toEqual([true, true, true, true]);
    expect(answers.map((answer) => answer.execution)).toEqual([
      "postgresql_sql",
      "mongodb_find",
      "streamed_in_code",
      "streamed_in_code",
    ]);
    const grouped = await runOn("mongo", {
      group_by: ["category"],
      aggregates: [{ function: "avg", column: "price" }],
    });
    expect(grouped.execution).toBe("mongodb_find_in_code");
    const native = await runOn("mongo", { group_by: ["category"], aggregates: [{ function: "sum", column: "price" }] });
    expect(native.execution).toBe("mongodb_pipeline");
  });

  it("types the columns the same way everywhere (CSV numbers, dates and booleans from text)", async () => {
    const answers = await Promise.all(
      kinds.map((kind) => runOn(kind, { columns: ["id", "name", "price", "released", "active"], limit: 1 })),
    );
    for (const answer of answers) {
      expect(answer.columns).toEqual([
        { name: "id", type: "number" },
        { name: "name", type: "text" },
        { name: "price", type: "number" },
        { name: "released", type: "date" },
        { name: "active", type: "boolean" },
      ]);
    }
  });
});
