import { afterAll, describe, expect, it } from "vitest";
import { describeQueryTable, querySpecSchema, runQuery } from "../../../core/query/index.js";
import { createTestContext } from "../../support/app-context.js";
import { cheapestDeskSpec } from "../../support/sample-desks.js";
import { uniqueName } from "../../support/services.js";

describe("the /query example in docs/query.md on the bundled samples", () => {
  const source = uniqueName("samples").replace(/-/g, "_");
  const context = createTestContext({
    REDIS_KEY_PREFIX: `${source}:`,
    SOURCES: JSON.stringify([{ name: source, kind: "csv", path: "samples", query_tables: ["products.csv"] }]),
  });
  afterAll(() => context.close());

  it("finds the cheapest standing desk (the question the extractive provider cannot compute)", async () => {
    const result = await runQuery(context, querySpecSchema.parse(cheapestDeskSpec(source)));
    expect(result.rows).toEqual([{ name: "Solace Standing Desk Mini", price: 313.99 }]);
    expect(result.truncated).toBe(true);
    const counted = await runQuery(
      context,
      querySpecSchema.parse({
        source,
        table: "products.csv",
        filters: [{ column: "name", op: "contains", value: "standing desk" }],
        aggregates: [{ function: "count" }, { function: "min", column: "price" }],
      }),
    );
    expect(counted.rows).toEqual([{ count: 15, min_price: 313.99 }]);
    const described = await describeQueryTable(context, source, "products.csv");
    expect(described.columns).toEqual(
      expect.arrayContaining([
        { name: "price", type: "number" },
        { name: "added_on", type: "date" },
        { name: "in_stock", type: "boolean" },
        { name: "name", type: "text" },
      ]),
    );
  });
});
