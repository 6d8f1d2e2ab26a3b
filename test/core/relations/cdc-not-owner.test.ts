import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { stateStore } from "../../../core/sync/index.js";
import { CdcTestRun } from "../../support/cdc-run.js";
import { postgresAdminSql } from "../../support/postgres-fixture.js";
import { testServices } from "../../support/services.js";
import { orderIncludes, shopSql } from "./shop-fixture.js";

/**
 * A source whose role may read and replicate but owns no table (a common grant for a CDC user):
 * enabling CDC cannot set REPLICA IDENTITY FULL on the order lines, and says so in the response,
 * not only in a log line nobody reads; deletes of lines then rely on the key map it records.
 */
describe("enabling CDC for a table with includes, as a role that does not own them", () => {
  const run = new CdcTestRun("rel-not-owner", "rel_not_owner");
  const role = `r_${run.runId}`;
  const password = randomBytes(12).toString("hex");
  let context: AppContext;

  beforeAll(async () => {
    const url = new URL(testServices.postgresUrl);
    url.username = role;
    url.password = password;
    context = await run.setUp(shopSql, {}, url.toString());
    await postgresAdminSql(
      `CREATE ROLE ${role} LOGIN REPLICATION PASSWORD '${password}';
       GRANT USAGE ON SCHEMA ${run.fixture.schema} TO ${role};
       GRANT SELECT ON ALL TABLES IN SCHEMA ${run.fixture.schema} TO ${role};`,
    );
  }, 60_000);

  afterAll(async () => {
    await run.tearDown();
    await postgresAdminSql(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role};`);
  }, 60_000);

  it("answers 200 with a warning naming order_lines, leaves its replica identity, and records each line's order", async () => {
    const response = await run.enable({ table: "orders", text_fields: ["status"], include: orderIncludes });
    expect(response.status).toBe(200);
    const registered = (await response.json()) as { tables: string[]; warnings?: string[] };
    expect(registered.tables).toEqual(["customers", "order_lines", "orders", "products"]);
    expect(registered.warnings).toEqual([expect.stringMatching(/^REPLICA IDENTITY FULL not set on order_lines \(/)]);
    // Nothing of the role's credentials travels with the warning.
    expect(JSON.stringify(registered)).not.toContain(password);

    const identities = await run.sql(
      "SELECT c.relname AS table, c.relreplident AS identity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'order_lines'",
      [run.fixture.schema],
    );
    expect(identities.rows).toEqual([{ table: "order_lines", identity: "d" }]);

    // What a delete event without the old row will be looked up in: every line's order.
    const lines = await run.sql("SELECT id::text, order_id::text FROM @order_lines");
    const recorded = await stateStore(context).relatedRows(run.source, "orders", "lines");
    expect(Object.fromEntries(recorded)).toEqual(Object.fromEntries(lines.rows.map((row) => [row.id, row.order_id])));
  });
});
