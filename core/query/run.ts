import type { Redis } from "ioredis";
import type { Settings } from "../config/index.js";
import {
  FileConnector,
  MongoConnector,
  PostgresConnector,
  type SourceConnector,
  type SourceRegistry,
  TableNotFoundError,
  type TableSchema,
} from "../sources/index.js";
import { SyncStateStore } from "../sync/index.js";
import { columnTypes } from "./column-types.js";
import { TableNotQueryableError } from "./errors.js";
import { Deadline, evaluate, type ResultRow } from "./evaluate.js";
import { runOnMongo } from "./mongo.js";
import { type OutputColumn, planQuery } from "./plan.js";
import { runOnPostgres } from "./postgres.js";
import type { QuerySpec } from "./spec.js";
import type { ValueType } from "./values.js";

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
  const { schema, types } = await tableTypes(dependencies, connector, spec.table);
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
    rows = await evaluate(plan, connector.rows(spec.table), {
      kind: connector.kind,
      filtered: false,
      deadline: new Deadline(spec.source, timeoutMs),
    });
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

/**
 * A table open to queries, its columns and their query types: what a model is told before it writes a spec.
 * @example await describeQueryTable(context, "samples", "products.csv") // → columns [{ name: "price", type: "number" }, …]
 */
export async function describeQueryTable(
  dependencies: QueryDependencies,
  source: string,
  table: string,
): Promise<{ source: string; table: string; kind: SourceConnector["kind"]; columns: OutputColumn[] }> {
  const connector = dependencies.sources.get(source);
  await assertQueryable(dependencies, source, table);
  const { types } = await tableTypes(dependencies, connector, table);
  return { source, table, kind: connector.kind, columns: [...types].map(([name, type]) => ({ name, type })) };
}

/** How long a table's introspected schema and column types are reused: introspection costs more than most queries. */
export const schemaCacheMs = 60_000;
const schemaCaches = new WeakMap<SourceRegistry, Map<string, { expires: number; value: Promise<TableTypes> }>>();
type TableTypes = { schema: TableSchema; types: Map<string, ValueType> };

/** The table's schema and column types, from a per-registry cache of `schemaCacheMs`. */
function tableTypes(dependencies: QueryDependencies, connector: SourceConnector, table: string): Promise<TableTypes> {
  let cache = schemaCaches.get(dependencies.sources);
  if (!cache) {
    cache = new Map();
    schemaCaches.set(dependencies.sources, cache);
  }
  const key = JSON.stringify([connector.name, table]);
  const cached = cache.get(key);
  if (cached && cached.expires > Date.now()) return cached.value;
  const value = (async () => {
    const schema = await connector.describe(table).catch((error: unknown) => {
      // A listed table that is not there is the request's (or configuration's) mistake, named like the others.
      if (error instanceof TableNotFoundError) throw new TableNotQueryableError(connector.name, table, []);
      throw error;
    });
    return { schema, types: await columnTypes(connector, schema, dependencies.settings.SCHEMA_SAMPLE_SIZE) };
  })();
  // A failure is not kept: the next query asks again.
  value.catch(() => cache.delete(key));
  cache.set(key, { expires: Date.now() + schemaCacheMs, value });
  return value;
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
