import pg from "pg";

/** One pool per PostgreSQL source; connections are opened on demand and time out rather than hang. */
export function createPostgresPool(
  connectionString: string,
  options: { max?: number; connectionTimeoutMillis?: number } = {},
): pg.Pool {
  return new pg.Pool({
    connectionString,
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: "chat-with-your-data",
  });
}
