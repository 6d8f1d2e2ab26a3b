import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { PostgresSourceConfig } from "../../core/config/index.js";
import { assertTestDatabase, testServices, uniqueName } from "./services.js";

/**
 * A private schema in the test database, dropped afterwards, so test files never see each
 * other's tables. Refuses any database whose name does not end in _test.
 */
export async function createPostgresFixture(setupSql: string): Promise<{
  schema: string;
  source: PostgresSourceConfig;
  admin: pg.Pool;
  drop(): Promise<void>;
}> {
  assertTestDatabase(new URL(testServices.postgresUrl).pathname.slice(1));
  const schema = uniqueName("t").replace(/-/g, "_");
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 2 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`SET search_path TO ${schema}; ${setupSql}`);
  return {
    schema,
    admin,
    source: {
      name: "pgtest",
      kind: "postgresql",
      connectionString: testServices.postgresUrl,
      schema,
      max_connections: 2,
    },
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

const root = path.resolve(import.meta.dirname, "../..");

/** Runs SQL as PostgreSQL's superuser through the project's service script (roles need it). */
export const postgresAdminSql = (sql: string) =>
  promisify(execFile)(
    "bash",
    [
      "-c",
      `source scripts/services/lib.sh && source scripts/services/postgres.sh && pg_admin_sql chat_test "$1"`,
      "sql",
      sql,
    ],
    { cwd: root },
  );
