import pg from "pg";
import { testServices, uniqueName } from "./services.js";

/**
 * A database of its own on the test PostgreSQL (the `chat` role may create databases), for a test
 * whose writes must not meet other tests' (a keyword index that `npm start` fills with the samples,
 * a database without the rum extension). Dropped, with any connection left, by `drop()`.
 */
export async function scratchDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${uniqueName(label).replace(/[^a-z0-9]/g, "_")}_test`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: testServices.searchUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(testServices.searchUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
