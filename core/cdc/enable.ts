import pg from "pg";
import type { PostgresSourceConfig, Settings } from "../config/index.js";
import type { Logger } from "../logging/index.js";
import { flattenRelations, type IncludeSpec, type Relation } from "../relations/index.js";
import { SourceNotFoundError } from "../sources/index.js";
import { joinsOffKey, readRelatedRows, type SyncDependencies, stateStore, syncSpecSchema } from "../sync/index.js";
import { resolveTarget, type SyncTarget } from "../sync/target.js";
import type { ConnectClient, ConnectorStatus } from "./connect-client.js";
import { buildConnectorConfig, type SnapshotMode } from "./connector-config.js";
import {
  CdcNotEnabledError,
  CdcNotSupportedError,
  CdcTableWithoutKeyError,
  ConnectUnavailableError,
} from "./errors.js";
import { cdcNames } from "./names.js";
import type { CdcResources } from "./resources.js";
import { type CdcProgress, CdcStateStore } from "./state.js";

const { escapeIdentifier } = pg;

export type CdcDependencies = SyncDependencies & {
  connect: ConnectClient;
  cdc: CdcResources;
  logger?: Pick<Logger, "warn"> | undefined;
  settings: SyncDependencies["settings"] &
    Pick<Settings, "KAFKA_TOPIC_PREFIX" | "KAFKA_TOPIC_PARTITIONS" | "KAFKA_CONNECT_DATABASE_HOST" | "sources">;
};

export interface EnableCdcRequest {
  source: string;
  table: string;
  textFields: readonly string[];
  fields?: readonly string[] | undefined;
  /** Related tables rendered into the documents; they are captured too, and their changes re-render the dependents. */
  include?: readonly IncludeSpec[] | undefined;
  snapshot?: SnapshotMode | undefined;
}

export interface CdcRegistrationSummary {
  source: string;
  table: string;
  tables: string[];
  connector: string;
  slot: string;
  publication: string;
  topic: string;
  snapshot: SnapshotMode;
  /** What the caller should know but did not stop the request: an included table whose deletes depend on the key map. */
  warnings?: string[];
}

const cdcState = (dependencies: Pick<CdcDependencies, "redis" | "settings">) =>
  new CdcStateStore(dependencies.redis, { prefix: dependencies.settings.REDIS_KEY_PREFIX });

function postgresSource(dependencies: Pick<CdcDependencies, "settings">, name: string): PostgresSourceConfig {
  const config = dependencies.settings.sources.find((source) => source.name === name);
  if (!config) throw new SourceNotFoundError(name);
  if (config.kind !== "postgresql") throw new CdcNotSupportedError(name, config.kind);
  return config;
}

/**
 * Streams a table's changes into the store: records its spec (text fields, fields) like an
 * ingestion does, then creates or updates the source's Debezium connector so its publication
 * holds this table too. One connector, slot and publication per source.
 * @example await enableCdc(context, { source: "shop", table: "products", textFields: ["name", "description"] })
 */
export async function enableCdc(
  dependencies: CdcDependencies,
  request: EnableCdcRequest,
): Promise<CdcRegistrationSummary> {
  const config = postgresSource(dependencies, request.source);
  const sync = stateStore(dependencies);
  const recorded = await sync.get(config.name, request.table);
  const spec = syncSpecSchema.parse({
    ...recorded?.spec,
    text_fields: [...request.textFields],
    ...(request.fields?.length ? { fields: [...request.fields] } : {}),
    ...(request.include ? { include: [...request.include] } : {}),
  });
  const target = await resolveTarget(dependencies, config.name, request.table, spec);
  if (target.selection.primaryKey.length === 0) throw new CdcTableWithoutKeyError(config.name, request.table);
  await sync.saveSpec(config.name, request.table, spec, target.selection.primaryKey);

  const snapshot = request.snapshot ?? "no_data";
  const related = flattenRelations(target.relations)
    .map((relation) => relation.table)
    .filter((table) => table !== request.table);
  const registration = await cdcState(dependencies).register(config.name, request.table, snapshot, [
    ...new Set(related),
  ]);
  const notFull = await fullReplicaIdentity(dependencies, config, tablesNeedingOldRows(target.relations));
  await recordJoinsOffKey(dependencies, target);
  const names = cdcNames(config.name, dependencies.settings);
  await dependencies.connect.putConnector(
    names.connector,
    buildConnectorConfig({
      source: config,
      tables: registration.tables,
      names,
      snapshot,
      partitions: dependencies.settings.KAFKA_TOPIC_PARTITIONS,
      databaseHost: dependencies.settings.KAFKA_CONNECT_DATABASE_HOST,
    }),
  );
  return {
    source: config.name,
    table: request.table,
    tables: registration.tables,
    connector: names.connector,
    slot: names.slot,
    publication: names.publication,
    topic: names.eventsTopic,
    snapshot,
    ...(notFull.length ? { warnings: notFull.map(replicaIdentityWarning) } : {}),
  };
}

const replicaIdentityWarning = (table: string) =>
  `REPLICA IDENTITY FULL not set on ${table} (the role does not own it): a deleted ${table} row finds its documents through the key map recorded now, and one the map misses waits for the next sync or audit`;

/**
 * Included tables whose delete events must carry the old row for CDC to find the documents that render
 * it: those joined on columns other than their primary key (an order line joins its order on
 * `order_id`), since by default a delete's image holds only the primary key.
 */
export function tablesNeedingOldRows(relations: readonly Relation[]): string[] {
  const needing = flattenRelations(relations).filter((relation) =>
    relation.childKeys.some((column) => !relation.primaryKey.includes(column)),
  );
  return [...new Set(needing.map((relation) => relation.table))].sort();
}

/**
 * Sets `REPLICA IDENTITY FULL` on those tables (a table already FULL is left alone). Only the table's
 * owner may: the tables it could not set are returned, to be named in the response's warnings, and
 * deletes of their rows find their documents through the key → join map alone (recordJoinsOffKey).
 */
async function fullReplicaIdentity(
  dependencies: Pick<CdcDependencies, "logger" | "cdc">,
  config: PostgresSourceConfig,
  tables: readonly string[],
): Promise<string[]> {
  if (tables.length === 0) return [];
  const notSet: string[] = [];
  const pool = dependencies.cdc.slotPool(config.connectionString);
  const { rows } = await pool.query<{ table: string }>(
    `SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relreplident <> 'f'`,
    [config.schema, [...tables]],
  );
  for (const { table } of rows) {
    const qualified = `${escapeIdentifier(config.schema)}.${escapeIdentifier(table)}`;
    try {
      await pool.query(`ALTER TABLE ${qualified} REPLICA IDENTITY FULL`);
    } catch (error) {
      // 42501: not the owner. Anything else is a fault of its own and fails the request.
      if ((error as { code?: string }).code !== "42501") throw error;
      notSet.push(table);
      dependencies.logger?.warn(
        { source: config.name, table },
        "REPLICA IDENTITY FULL not set (the role does not own the table): deleted rows find their documents through the recorded key map",
      );
    }
  }
  return notSet;
}

/**
 * Records each row's join value for the included tables joined off their key, merged into what sync
 * keeps (see core/sync/related-rows.ts), so an event that lacks it (a delete without REPLICA IDENTITY
 * FULL, an update moving a line to another order) still finds the document that rendered the row.
 * One key scan per such table; the consumer keeps the record current from then on.
 */
async function recordJoinsOffKey(dependencies: CdcDependencies, target: SyncTarget): Promise<void> {
  for (const relation of flattenRelations(target.relations).filter(joinsOffKey)) {
    const written = await readRelatedRows(target.connector, relation, {
      pageSize: dependencies.settings.SYNC_PAGE_SIZE,
    });
    await stateStore(dependencies).updateRelatedRows(target.shape.source, target.shape.table, relation.path, {
      written,
      deleted: [],
    });
  }
}

export interface CdcStatus {
  source: string;
  connector: {
    name: string;
    /** RUNNING, PAUSED, FAILED, UNASSIGNED; `missing` when Connect does not know it, `unreachable` when Connect is down. */
    state: string;
    tasks: { id: number; state: string; trace?: string | undefined }[];
  };
  slot: { name: string; exists: boolean; active: boolean; confirmed_flush_lsn: string | null };
  publication: string;
  topic: string;
  snapshot: SnapshotMode;
  enabled_at: string;
  /** Bytes of WAL between the source's current position and what Debezium confirmed / what the consumer applied. */
  lag: {
    current_lsn: string;
    slot_lag_bytes: number | null;
    processed_lag_bytes: number | null;
  };
  tables: ({ table: string; last_lsn_text: string | null } & CdcProgress)[];
}

/** PostgreSQL's text form of a WAL position: high and low 32 bits in hex. */
export const formatLsn = (lsn: number) =>
  `${Math.floor(lsn / 2 ** 32)
    .toString(16)
    .toUpperCase()}/${(lsn % 2 ** 32).toString(16).toUpperCase()}`;

/** Connector state from Connect's REST API, slot position from PostgreSQL, progress from Redis. */
export async function cdcStatus(dependencies: CdcDependencies, source: string): Promise<CdcStatus> {
  const config = postgresSource(dependencies, source);
  const registration = await cdcState(dependencies).registration(config.name);
  if (!registration) throw new CdcNotEnabledError(config.name);
  const names = cdcNames(config.name, dependencies.settings);

  let connector: ConnectorStatus | undefined;
  let state: string;
  try {
    connector = await dependencies.connect.status(names.connector);
    state = connector?.connector.state ?? "missing";
  } catch (error) {
    if (!(error instanceof ConnectUnavailableError)) throw error;
    state = "unreachable";
  }
  const { rows } = await dependencies.cdc.slotPool(config.connectionString).query<{
    current: string;
    current_bytes: number;
    exists: boolean;
    active: boolean | null;
    confirmed: string | null;
    slot_lag: number | null;
  }>(
    `SELECT pg_current_wal_lsn()::text AS current,
            pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 AS current_bytes,
            s.slot_name IS NOT NULL AS exists, s.active, s.confirmed_flush_lsn::text AS confirmed,
            pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::float8 AS slot_lag
       FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots s ON s.slot_name = $1`,
    [names.slot],
  );
  const wal = rows[0];
  if (!wal) throw new Error("pg_current_wal_lsn() returned no row");
  const tables = await Promise.all(
    registration.tables.map(async (table) => {
      const progress = await cdcState(dependencies).progress(config.name, table);
      return { table, ...progress, last_lsn_text: progress.last_lsn === null ? null : formatLsn(progress.last_lsn) };
    }),
  );
  const applied = tables.flatMap((table) => (table.last_lsn === null ? [] : [table.last_lsn]));
  return {
    source: config.name,
    connector: {
      name: names.connector,
      state,
      tasks: (connector?.tasks ?? []).map((task) => ({
        id: task.id,
        state: task.state,
        ...(task.trace ? { trace: task.trace.slice(0, 2_000) } : {}),
      })),
    },
    slot: { name: names.slot, exists: wal.exists, active: Boolean(wal.active), confirmed_flush_lsn: wal.confirmed },
    publication: names.publication,
    topic: names.eventsTopic,
    snapshot: registration.snapshot,
    enabled_at: registration.enabled_at,
    lag: {
      current_lsn: wal.current,
      slot_lag_bytes: wal.slot_lag === null ? null : Math.max(0, wal.slot_lag),
      // Debezium's LSN of a change is where its record starts; the commit ends a little later.
      processed_lag_bytes: applied.length ? Math.max(0, wal.current_bytes - Math.max(...applied)) : null,
    },
    tables,
  };
}

export interface DisableSummary {
  source: string;
  connector_deleted: boolean;
  slot_dropped: boolean;
  publication_dropped: boolean;
}

/**
 * Stops a source's CDC and frees what it holds in PostgreSQL: the connector, then the slot (which
 * would otherwise keep WAL forever) and the publication. The store keeps its vectors.
 */
export async function disableCdc(dependencies: CdcDependencies, source: string): Promise<DisableSummary> {
  const config = postgresSource(dependencies, source);
  const registration = await cdcState(dependencies).registration(config.name);
  const names = cdcNames(config.name, dependencies.settings);
  const connectorDeleted = await dependencies.connect.deleteConnector(names.connector);
  const pool = dependencies.cdc.slotPool(config.connectionString);
  let slotDropped = false;
  // The connector's task lets go of the slot a moment after the delete returns.
  for (let attempt = 0; attempt < 40 && !slotDropped; attempt++) {
    const { rows } = await pool.query<{ active: boolean }>(
      "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
      [names.slot],
    );
    if (rows.length === 0) break;
    if (rows[0]?.active) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    await pool.query("SELECT pg_drop_replication_slot($1)", [names.slot]);
    slotDropped = true;
  }
  const dropped = await pool.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [names.publication]);
  if (dropped.rowCount) await pool.query(`DROP PUBLICATION IF EXISTS "${names.publication}"`);
  await cdcState(dependencies).remove(config.name, registration?.tables ?? []);
  return {
    source: config.name,
    connector_deleted: connectorDeleted,
    slot_dropped: slotDropped,
    publication_dropped: Boolean(dropped.rowCount),
  };
}
