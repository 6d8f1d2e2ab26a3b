import type { QueryDependencies } from "../query/index.js";
import { describeQueryTable, type OutputColumn } from "../query/index.js";
import { SyncStateStore } from "../sync/index.js";
import type { MetadataFilters } from "../vectors/index.js";
import { allowedValues } from "./filters.js";

/** A table the model may query, with the columns and types it is told about. */
export interface QueryableTable {
  source: string;
  table: string;
  columns: OutputColumn[];
  /** Set when the source takes the model's own SQL (PostgreSQL with allow_sql): the schema it may read. */
  sqlSchema?: string | undefined;
}

/** Tables described to a model at most: each costs prompt tokens in the tool's description. */
export const maxQueryableTables = 20;

/**
 * The tables open to queries within a chat's filters (`source`, `table`): each source's
 * query_tables, or its ingested tables when it lists none. A table that cannot be described now
 * (its source down) is left out with a warning rather than failing the chat.
 */
export async function queryableTables(
  dependencies: QueryDependencies,
  filters: MetadataFilters | undefined,
  warnings: string[],
): Promise<QueryableTable[]> {
  const sources = allowedValues(filters?.source);
  const tables = allowedValues(filters?.table);
  const configured = dependencies.sources.list().map((source) => source.name);
  const inScope = configured.filter((name) => !sources || sources.includes(name));
  if (inScope.length === 0) return [];
  const ingested = inScope.some((name) => !dependencies.sources.queryTables(name))
    ? await new SyncStateStore(dependencies.redis, { prefix: dependencies.settings.REDIS_KEY_PREFIX })
        .tables()
        .catch(() => {
          warnings.push("the tables open to queries could not be listed (redis): the query tool is not offered");
          return [];
        })
    : [];
  const candidates = inScope
    .flatMap((source) => {
      const listed = dependencies.sources.queryTables(source);
      const names = listed ?? ingested.filter((entry) => entry.source === source).map((entry) => entry.table);
      return names.map((table) => ({ source, table }));
    })
    .filter((candidate) => !tables || tables.includes(candidate.table));
  const left = candidates.splice(maxQueryableTables);
  // A user asking about a table past the cap should learn why the model cannot query it, and how to reach it.
  if (left.length > 0) {
    warnings.push(
      `${left.length} more table(s) not offered to query (at most ${maxQueryableTables}; narrow the chat's source or table filter to reach them): ${left
        .map(({ source, table }) => `${source}.${table}`)
        .join(", ")}`,
    );
  }
  const described = await Promise.all(
    candidates.map(async ({ source, table }) => {
      try {
        const { columns } = await describeQueryTable(dependencies, source, table);
        return [{ source, table, columns, sqlSchema: dependencies.sources.sqlSchema(source) }];
      } catch {
        warnings.push(`table '${table}' of source '${source}' could not be described now: it is not offered to query`);
        return [];
      }
    }),
  );
  return described.flat();
}
