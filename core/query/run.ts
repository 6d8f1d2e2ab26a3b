import type { Redis } from "ioredis";
import type { Settings } from "../config/index.js";
import {
  FileConnector,
  MongoConnector,
  PostgresConnector,
  type SourceRegistry,
  TableNotFoundError,
} from "../sources/index.js";
import { SyncStateStore } from "../sync/index.js";
import { columnTypes } from "./column-types.js";
import { TableNotQueryableError } from "./errors.js";
import { evaluate, type ResultRow } from "./evaluate.js";
import { runOnMongo } from "./mongo.js";
import { type OutputColumn, planQuery } from "./plan.js";
import { runOnPostgres } from "./postgres.js";
import type { QuerySpec } from "./spec.js";

export interface QueryDependencies {
  sources: SourceRegistry;
  redis: Redis | undefined;
  settings: Pick<Settings, "QUERY_TIMEOUT_MS" | "REDIS_KEY_PREFIX" | "SCHEMA_SAMPLE_SIZE">;
}

export interface QueryResult {
  /** The spec that ran, defaults filled in (limit, aggregate aliases). */
  spec: QuerySpec;
  columns: OutputColumn[];
  rows: ResultRow[];
  /** More rows matched than `limit`. */
  truncated: boolean;
  /** How the source ran it: natively, or (where the engine lacks it) in code over streamed rows. */
  execution: "postgresql_sql" | "mongodb_find" | "mongodb_pipeline" | "mongodb_find_in_code" | "streamed_in_code";
}

/**
 * Runs a structured query (already parsed with querySpecSchema) on a configured source: checks the
 * table is open to queries and every name against its schema, then runs it natively on the source.
 * @example await runQuery(context, querySpecSchema.parse({ source: "samples", table: "products.csv",
 *   group_by: ["category"], aggregates: [{ function: "avg", column: "price" }] }))
 */
export async function runQuery(dependencies: QueryDependencies, spec: QuerySpec): Promise<QueryResult> {
  const connector = dependencies.sources.get(spec.source);
  await assertQueryable(dependencies, spec.source, spec.table);
  const schema = await connector.describe(spec.table).catch((error: unknown) => {
    // A listed table that is not there is the request's (or configuration's) mistake, named like the others.
    if (error instanceof TableNotFoundError) throw new TableNotQueryableError(spec.source, spec.table, []);
    throw error;
  });
  const types = await columnTypes(connector, schema, dependencies.settings.SCHEMA_SAMPLE_SIZE);
  const plan = planQuery(spec, connector.kind, schema, types);
  const timeoutMs = dependencies.settings.QUERY_TIMEOUT_MS;

  let rows: ResultRow[];
  let execution: QueryResult["execution"];
  if (connector instanceof PostgresConnector) {
    rows = await runOnPostgres(connector, plan, { timeoutMs });
    execution = "postgresql_sql";
  } else if (connector instanceof MongoConnector) {
    ({ rows, execution } = await runOnMongo(connector, plan, { timeoutMs }));
  } else if (connector instanceof FileConnector) {
    rows = await evaluate(plan, connector.rows(spec.table), { kind: connector.kind, filtered: false });
    execution = "streamed_in_code";
  } else {
    throw new TableNotQueryableError(spec.source, spec.table, []);
  }
  return {
    spec: plan.spec,
    columns: plan.output,
    rows: rows.slice(0, plan.limit),
    truncated: rows.length > plan.limit,
    execution,
  };
}

/** The source's query_tables when configured; otherwise the tables that have sync state (were ingested). */
async function assertQueryable(dependencies: QueryDependencies, source: string, table: string): Promise<void> {
  const listed = dependencies.sources.queryTables(source);
  if (listed) {
    if (!listed.includes(table)) throw new TableNotQueryableError(source, table, listed);
    return;
  }
  const state = await new SyncStateStore(dependencies.redis, { prefix: dependencies.settings.REDIS_KEY_PREFIX }).get(
    source,
    table,
  );
  if (!state) throw new TableNotQueryableError(source, table, undefined);
}
