import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../../core/errors/index.js";
import { type QuerySpecInput, QueryTimeoutError, querySpecSchema, runQuery } from "../../../core/query/index.js";
import { stateStore, syncSpecSchema } from "../../../core/sync/index.js";
import { createQueryFixture, type QueryFixture } from "./query-fixture.js";

describe("structured queries refuse what the schema and the configuration do not allow", { timeout: 60_000 }, () => {
  let fixture: QueryFixture;

  beforeAll(async () => {
    fixture = await createQueryFixture("queryref", { QUERY_TIMEOUT_MS: "300" });
    await fixture.postgres.admin.query(
      `CREATE VIEW ${fixture.postgres.schema}.slow AS SELECT g AS n, pg_sleep(0.2)::text AS pause FROM generate_series(1, 50) g;
       CREATE TABLE ${fixture.postgres.schema}.written (n int);
       CREATE FUNCTION ${fixture.postgres.schema}.write_one() RETURNS int LANGUAGE sql VOLATILE
         AS 'INSERT INTO ${fixture.postgres.schema}.written VALUES (1) RETURNING n';
       CREATE VIEW ${fixture.postgres.schema}.writer AS SELECT ${fixture.postgres.schema}.write_one() AS n;`,
    );
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const run = (spec: QuerySpecInput) => runQuery(fixture.context, querySpecSchema.parse(spec));
  const refusal = async (spec: QuerySpecInput) => {
    const error = await run(spec).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  };

  it("names unknown columns wherever the spec uses them, on every kind", async () => {
    for (const [source, table] of [
      [fixture.sources.postgres, "items"],
      [fixture.sources.mongo, "items"],
      [fixture.sources.csv, "items.csv"],
    ] as const) {
      const message = await refusal({
        source,
        table,
        filters: [{ column: "colour", op: "eq", value: "red" }],
        group_by: ["size"],
        aggregates: [{ function: "sum", column: "weight" }],
      });
      expect(message).toContain("'colour'");
      expect(message).toContain("'size'");
      expect(message).toContain("'weight'");
    }
  });

  it("refuses tables outside query_tables, unknown ones and listed ones that do not exist, naming them", async () => {
    expect(await refusal({ source: fixture.sources.postgres, table: "hidden" })).toContain("'hidden'");
    expect(await refusal({ source: fixture.sources.mongo, table: "hidden" })).toContain("'hidden'");
    expect(await refusal({ source: fixture.sources.csv, table: "hidden.csv" })).toContain("'hidden.csv'");
    expect(await refusal({ source: fixture.sources.postgres, table: "pg_catalog.pg_authid" })).toContain("not open");
    // Listed in query_tables but not in the database: still a 400, not a 404 or a 500.
    expect(await refusal({ source: fixture.sources.postgres, table: "gone" })).toContain("'gone'");
  });

  it("without query_tables, opens only the tables that were ingested (have sync state)", async () => {
    const spec = { source: fixture.sources.open, table: "items", aggregates: [{ function: "count" as const }] };
    expect(await refusal(spec)).toContain("only ingested tables");
    await stateStore(fixture.context).saveSpec(
      fixture.sources.open,
      "items",
      syncSpecSchema.parse({ text_fields: ["name"] }),
      ["id"],
    );
    expect((await run(spec)).rows).toEqual([{ count: 8 }]);
    expect(await refusal({ ...spec, table: "hidden" })).toContain("'hidden'");
  });

  it("refuses what the values cannot give: sums of text, text where a number is, contains on numbers, unknown order keys, aliases twice", async () => {
    const base = { source: fixture.sources.postgres, table: "items" };
    expect(await refusal({ ...base, aggregates: [{ function: "sum", column: "name" }] })).toContain("sum");
    expect(await refusal({ ...base, aggregates: [{ function: "avg" }] })).toContain("needs a column");
    expect(await refusal({ ...base, filters: [{ column: "price", op: "gt", value: "cheap" }] })).toContain(
      "not a number",
    );
    expect(await refusal({ ...base, filters: [{ column: "released", op: "lt", value: "soon" }] })).toContain(
      "not a date",
    );
    expect(await refusal({ ...base, filters: [{ column: "price", op: "contains", value: "1" }] })).toContain(
      "contains",
    );
    expect(await refusal({ ...base, columns: ["id"], order_by: [{ key: "price" }] })).toContain("'price'");
    expect(
      await refusal({ ...base, group_by: ["category"], aggregates: [{ function: "count", alias: "category" }] }),
    ).toContain("category");
    expect(await refusal({ ...base, columns: ["id"], group_by: ["category"] })).toContain("columns");
  });

  it("refuses a huge limit in the schema, before anything runs", () => {
    expect(querySpecSchema.safeParse({ source: "x", table: "t", limit: 1_000_001 }).success).toBe(false);
    expect(querySpecSchema.safeParse({ source: "x", table: "t" }).data?.limit).toBe(50);
  });

  it("runs PostgreSQL queries read-only: a view that writes fails, and nothing is written", async () => {
    const spec = { source: fixture.sources.open, table: "writer", columns: ["n"] };
    await stateStore(fixture.context).saveSpec(
      fixture.sources.open,
      "writer",
      syncSpecSchema.parse({ text_fields: ["n"] }),
      [],
    );
    await expect(run(spec)).rejects.toThrow(/read-only transaction/);
    const { rows } = await fixture.postgres.admin.query(
      `SELECT count(*)::int AS n FROM ${fixture.postgres.schema}.written`,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it("stops a file evaluated in code at QUERY_TIMEOUT_MS too", async () => {
    const lines = Array.from({ length: 1_000_000 }, (_, index) => `${index},item ${index},${index % 97}`);
    await writeFile(path.join(fixture.catalogue, "big.csv"), `id,name,price\n${lines.join("\n")}\n`);
    const error = await run({
      source: fixture.sources.csv,
      table: "big.csv",
      group_by: ["price"],
      aggregates: [{ function: "count" }],
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QueryTimeoutError);
  });

  it("cancels a PostgreSQL query at QUERY_TIMEOUT_MS with a clear error instead of hanging", async () => {
    await stateStore(fixture.context).saveSpec(
      fixture.sources.open,
      "slow",
      syncSpecSchema.parse({ text_fields: ["pause"] }),
      [],
    );
    const error = await run({ source: fixture.sources.open, table: "slow", columns: ["n", "pause"] }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect((error as Error).message).toContain("300 ms");
    // The pool is still usable afterwards.
    expect(
      (await run({ source: fixture.sources.open, table: "items", aggregates: [{ function: "count" }] })).rows,
    ).toEqual([{ count: 8 }]);
  });
});
