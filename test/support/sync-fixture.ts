import { MongoClient } from "mongodb";
import type { QueryResult } from "pg";
import type { AppContext } from "../../core/context/index.js";
import type { SyncDependencies } from "../../core/sync/index.js";
import { createTestContext } from "./app-context.js";
import { createPostgresFixture } from "./postgres-fixture.js";
import { dropMongoCollections } from "./scratch-mongo.js";
import { testServices, uniqueName } from "./services.js";
import { countingEmbedder } from "./sync-oracle.js";

/** Names a sync test owns, known when its describe block is built (before any service is touched). */
export function syncNames(label: string) {
  const run = uniqueName(label).replace(/-/g, "_");
  return { run, pgSource: `pg_${run}`, mongoSource: `mg_${run}`, collection: uniqueName(`${label}-docs`) };
}

export type SyncNames = ReturnType<typeof syncNames>;

export interface SyncFixture {
  pg: Awaited<ReturnType<typeof createPostgresFixture>>;
  mongo: MongoClient;
  context: AppContext;
  embedder: ReturnType<typeof countingEmbedder>;
  dependencies: SyncDependencies;
  /** SQL on the fixture's schema: `@table` names a table in it. */
  sql(text: string, values?: unknown[]): Promise<QueryResult>;
  close(): Promise<void>;
}

/**
 * A PostgreSQL schema made by `setupSql`, the MongoDB-wire database, both configured as sources,
 * Redis state under the run's prefix, and an embedder that records what it embeds. `pageSize`
 * is small in tests so every run crosses page borders on the source and the store side.
 */
export async function openSyncFixture(
  names: SyncNames,
  options: { setupSql: string; pageSize: number },
): Promise<SyncFixture> {
  const pg = await createPostgresFixture(options.setupSql);
  const mongo = new MongoClient(testServices.mongoUrl);
  await mongo.connect();
  const context = createTestContext({
    REDIS_KEY_PREFIX: `${names.run}:`,
    SYNC_PAGE_SIZE: String(options.pageSize),
    SOURCES: JSON.stringify([
      { name: names.pgSource, kind: "postgresql", url: testServices.postgresUrl, schema: pg.schema },
      { name: names.mongoSource, kind: "mongodb", url: testServices.mongoUrl, database: testServices.mongoDatabase },
    ]),
  });
  const vectors = context.vectors;
  if (!vectors) throw new Error("chroma is configured in tests");
  const embedder = countingEmbedder(context.embedder);
  return {
    pg,
    mongo,
    context,
    embedder,
    dependencies: { ...context, vectors, embedder },
    sql: (text: string, values: unknown[] = []) => pg.admin.query(text.replaceAll("@", `${pg.schema}.`), values),
    close: async () => {
      await context.vectors?.deleteSource(names.pgSource);
      await context.vectors?.deleteSource(names.mongoSource);
      // A test that never touched Redis left the lazy client unconnected; it refuses commands until connected.
      if (context.redis?.status === "wait") await context.redis.connect();
      const keys = await context.redis?.keys(`${names.run}:*`);
      if (keys?.length) await context.redis?.del(...keys);
      await context.close();
      await pg.drop();
      await dropMongoCollections(mongo, [names.collection]);
    },
  };
}
