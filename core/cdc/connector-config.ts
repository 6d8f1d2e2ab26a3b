import type { PostgresSourceConfig } from "../config/index.js";
import type { CdcNames } from "./names.js";

/**
 * `no_data`: stream changes from the moment the slot is created and read no existing rows, for a
 * table the store already holds (an ingestion or sync came first). `initial`: also send every
 * existing row once; the consumer compares content hashes, so rows already stored are not embedded again.
 */
export type SnapshotMode = "no_data" | "initial";

export interface ConnectorConfigInput {
  source: Pick<PostgresSourceConfig, "connectionString" | "schema">;
  /** Every CDC table of the source: one connector, slot and publication per source. */
  tables: readonly string[];
  names: CdcNames;
  snapshot: SnapshotMode;
  partitions: number;
  /** `host[:port]` Connect reaches the database at, when its network differs from this service's. */
  databaseHost?: string | undefined;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Debezium's PostgreSQL connector config for a source's CDC tables. Changes go through pgoutput
 * (built into PostgreSQL) to a publication holding only those tables; Debezium's per-table topics
 * are routed into one events topic, because a Lambda event-source mapping names fixed topics and a
 * pattern subscription would not see tables enabled later. Keys and values are schemaless JSON.
 * @example buildConnectorConfig({ source, tables: ["items"], names: cdcNames("shop", settings), snapshot: "no_data", partitions: 2 })
 */
export function buildConnectorConfig(input: ConnectorConfigInput): Record<string, string> {
  const url = new URL(input.source.connectionString);
  // Parsed as a URL authority, so `host`, `host:port` and `[::1]:5432` all work.
  const override = input.databaseHost ? new URL(`postgresql://${input.databaseHost}`) : undefined;
  const qualified = input.tables.map((table) => `${escapeRegex(input.source.schema)}\\.${escapeRegex(table)}`);
  return {
    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
    "tasks.max": "1",
    "plugin.name": "pgoutput",
    "database.hostname": override?.hostname ?? url.hostname,
    "database.port": (override ? override.port : url.port) || "5432",
    "database.user": decodeURIComponent(url.username),
    "database.password": decodeURIComponent(url.password),
    "database.dbname": decodeURIComponent(url.pathname.slice(1)),
    "topic.prefix": input.names.topicPrefix,
    "slot.name": input.names.slot,
    "publication.name": input.names.publication,
    // Debezium creates the publication with exactly these tables and alters it when they change.
    "publication.autocreate.mode": "filtered",
    "table.include.list": qualified.join(","),
    "snapshot.mode": input.snapshot,
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
    // Numeric keys arrive as text (not base64 bytes), so the consumer can look rows up by them.
    "decimal.handling.mode": "string",
    // Debezium skips truncates unless told otherwise (its default is "t"); the consumer needs them
    // to clear a truncated table's vectors.
    "skipped.operations": "none",
    // The delete event says all the consumer needs; a tombstone after it would only be skipped.
    "tombstones.on.delete": "false",
    // Debezium waits this long for more changes before handing a batch to Connect (default 500 ms):
    // most of the commit-to-searchable delay of a single change.
    "poll.interval.ms": "50",
    // Confirms the slot's position even while the table is idle and others write, so WAL is freed.
    "heartbeat.interval.ms": "10000",
    transforms: "route",
    "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
    "transforms.route.regex": `${escapeRegex(input.names.topicPrefix)}\\..*`,
    "transforms.route.replacement": input.names.eventsTopic,
    "topic.creation.default.replication.factor": "-1",
    "topic.creation.default.partitions": String(input.partitions),
  };
}
