import { afterAll, describe, expect, it } from "vitest";
import { createPostgresPool } from "../../core/sources/index.js";
import { assertTestDatabase, testServices } from "../support/services.js";

describe("PostgreSQL (real server from npm run services)", () => {
  const url = new URL(testServices.postgresUrl);
  assertTestDatabase(url.pathname.slice(1));
  const pool = createPostgresPool(testServices.postgresUrl);
  afterAll(() => pool.end());

  it("runs parameterised queries over a real connection", async () => {
    const { rows } = await pool.query<{ version: string; sum: number }>(
      "SELECT current_setting('server_version') AS version, $1::int + $2::int AS sum",
      [40, 2],
    );
    expect(rows[0]?.sum).toBe(42);
    expect(rows[0]?.version).toMatch(/^15\./);
  });

  it("creates, fills and reads a table", async () => {
    const client = await pool.connect();
    try {
      await client.query("CREATE TEMP TABLE smoke (id serial PRIMARY KEY, title text NOT NULL)");
      await client.query("INSERT INTO smoke (title) SELECT 'row ' || n FROM generate_series(1, 100) AS n");
      const { rows } = await client.query<{ count: string }>("SELECT count(*) FROM smoke");
      expect(rows[0]?.count).toBe("100");
    } finally {
      client.release();
    }
  });

  it("lets the test role force-drop its scratch databases, whatever session is in them", async () => {
    // An autovacuum worker in a scratch database has no role on PostgreSQL 15: without pg_signal_backend,
    // DROP DATABASE ... WITH (FORCE) fails on it (it failed CI's scale bench once).
    const { rows } = await pool.query<{ member: boolean }>(
      "SELECT pg_has_role(current_user, 'pg_signal_backend', 'USAGE') AS member",
    );
    expect(rows[0]?.member).toBe(true);
  });

  it("refuses a wrong password with an error that does not echo it", async () => {
    const wrong = new URL(testServices.postgresUrl);
    wrong.password = "definitely-wrong-pw";
    const badPool = createPostgresPool(wrong.toString());
    try {
      const refusal = await badPool.query("SELECT 1").then(
        () => undefined,
        (error: Error) => error,
      );
      // Outside any .catch: a query that unexpectedly succeeded fails here instead of skipping the check.
      expect(refusal?.message).toMatch(/password authentication failed/);
      expect(refusal?.message).not.toContain("definitely-wrong-pw");
    } finally {
      await badPool.end();
    }
  });
});
