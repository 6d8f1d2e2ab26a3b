import { NotFoundError } from "../errors/index.js";
import type { Logger } from "../logging/index.js";
import type { RowFilter } from "../sources/index.js";
import { syncSpecSchema } from "./spec.js";
import type { SyncState } from "./state.js";
import { type SyncDependencies, stateStore } from "./target.js";

type StateDependencies = Pick<SyncDependencies, "redis" | "settings" | "sources">;

/**
 * Records a successful ingestion as the table's sync spec, so a later sync needs only the source
 * and the table. A watermark column declared by an earlier sync is kept.
 */
export async function rememberIngestion(
  dependencies: StateDependencies,
  ingestion: {
    source?: string | undefined;
    table: string;
    fields?: readonly string[] | undefined;
    textFields: readonly string[];
    filters?: readonly RowFilter[] | undefined;
  },
): Promise<void> {
  // Inline connections have no name to keep state under, and are never stored.
  if (!ingestion.source) return;
  const connector = dependencies.sources.get(ingestion.source);
  const state = stateStore(dependencies);
  const recorded = await state.get(connector.name, ingestion.table);
  const spec = syncSpecSchema.parse({
    text_fields: [...ingestion.textFields],
    ...(ingestion.fields?.length ? { fields: [...ingestion.fields] } : {}),
    ...(ingestion.filters?.length ? { filters: [...ingestion.filters] } : {}),
    ...(recorded?.spec.watermark_column ? { watermark_column: recorded.spec.watermark_column } : {}),
  });
  const schema = await connector.describe(ingestion.table);
  await state.saveSpec(connector.name, ingestion.table, spec, schema.primaryKey);
}

/** A table's sync state; 404 when nothing was ever recorded for it. */
export async function readSyncState(
  dependencies: StateDependencies,
  source: string,
  table: string,
): Promise<SyncState> {
  const connector = dependencies.sources.get(source);
  const state = await stateStore(dependencies).get(connector.name, table);
  if (!state) throw new NotFoundError(`no sync state for '${table}' in source '${source}'`, { source, table });
  return state;
}

/**
 * {@link rememberIngestion} after an ingestion that succeeded (or was queued): every way in (HTTP, the
 * async route, MCP, the CLI) records the spec the same way, and failing to record it is logged, since
 * the ingestion itself is not undone by it.
 */
export async function recordSyncSpec(
  dependencies: StateDependencies & { logger: Logger },
  ingestion: Parameters<typeof rememberIngestion>[1],
): Promise<void> {
  await rememberIngestion(dependencies, ingestion).catch((error: unknown) =>
    dependencies.logger.warn(
      { err: error, source: ingestion.source, table: ingestion.table },
      "sync spec not recorded",
    ),
  );
}
