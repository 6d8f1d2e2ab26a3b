import { describe, expect, it } from "vitest";
import { checkSql, InvalidSqlError } from "../../../core/query/index.js";

const allowance = {
  schema: "shop",
  tables: new Map([
    ["products", new Set(["id", "name", "price", "category"])],
    ["orders", new Set(["id", "product_id", "quantity"])],
  ]),
};

describe("checkSql: PostgreSQL's parser, then allow-lists of statements, tables, columns and functions", () => {
  it.each([
    [
      "SELECT name, price FROM products ORDER BY price LIMIT 1;",
      'SELECT name, price FROM "shop".products ORDER BY price LIMIT 1',
    ],
    [
      "SELECT category, round(avg(price), 2) AS mean FROM products GROUP BY category ORDER BY mean DESC",
      'SELECT category, round(avg(price), 2) AS mean FROM "shop".products GROUP BY category ORDER BY mean DESC',
    ],
    [
      "SELECT p.name, sum(o.quantity) AS sold FROM shop.products p JOIN orders o ON o.product_id = p.id GROUP BY p.name",
      'SELECT p.name, sum(o.quantity) AS sold FROM shop.products p JOIN "shop".orders o ON o.product_id = p.id GROUP BY p.name',
    ],
    [
      `SELECT 'é' AS e, name FROM products WHERE price > (SELECT avg(price) FROM "products") -- dearer than average`,
      `SELECT 'é' AS e, name FROM "shop".products WHERE price > (SELECT avg(price) FROM "shop"."products") -- dearer than average`,
    ],
    [
      "SELECT count(*) FILTER (WHERE price > 100) FROM products",
      'SELECT count(*) FILTER (WHERE price > 100) FROM "shop".products',
    ],
  ])("lets a read-only SELECT through, its tables in the allowed schema: %s", async (sql, expected) => {
    expect(await checkSql(sql, allowance)).toBe(expected);
  });

  it.each([
    ["DROP TABLE products", /only SELECT is allowed, not DropStmt/],
    ["DELETE FROM products", /only SELECT is allowed, not DeleteStmt/],
    ["SELECT pg_read_file('/etc/passwd')", /function 'pg_read_file' is not allowed/],
    ["SELECT name FROM products; DROP TABLE products", /exactly one statement \(this has 2\)/],
    ["SELECT 1; SELECT 2", /exactly one statement/],
    ["SELECT * FROM customers", /table 'customers' is not allowed; allowed: 'products', 'orders'/],
    ["SELECT * FROM public.products", /table 'public.products' is not allowed/],
    ["SELECT usename FROM pg_catalog.pg_user", /table 'pg_catalog.pg_user' is not allowed/],
    ["SELECT password FROM products", /column 'password'/],
    ["SELECT x.name FROM products", /'x' is neither a table of this query nor an alias/],
    ["SELECT name FROM products FOR UPDATE", /FOR UPDATE\/SHARE/],
    ["SELECT * INTO stolen FROM products", /SELECT INTO/],
    ["WITH gone AS (DELETE FROM products RETURNING *) SELECT * FROM gone", /WITH is not allowed/],
    ["SELECT * FROM generate_series(1, 10)", /RangeFunction is not allowed/],
    ["SELECT pg_sleep(30)", /function 'pg_sleep' is not allowed/],
    ["SELECT current_setting('data_directory')", /function 'current_setting' is not allowed/],
    ["SELECT set_config('default_transaction_read_only', 'off', false)", /function 'set_config' is not allowed/],
    ["SELECT pg_catalog.pg_read_file('x')", /function 'pg_read_file' is not allowed/],
    ["SELECT public.evil()", /schema-qualified/],
    ["SELECT 'pg_authid'::regclass", /cast to regclass/],
    ["SELECT current_user", /CURRENT_USER is not allowed/],
    ["SELECT $1", /ParamRef is not allowed/],
    ["SELEC name FROM products", /does not parse: syntax error/],
    ["", /does not parse: Query cannot be empty/],
    ["-- only a comment", /exactly one statement \(this has 0\)/],
  ])("refuses %s", async (sql, message) => {
    const error = await checkSql(sql, allowance).then(
      () => undefined,
      (refusal: unknown) => refusal,
    );
    expect(error).toBeInstanceOf(InvalidSqlError);
    expect((error as Error).message).toMatch(message);
  });
});
