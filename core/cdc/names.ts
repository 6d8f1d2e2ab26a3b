import type { Settings } from "../config/index.js";
import { topics } from "../messaging/index.js";

/** Everything named after a source: the connector, its replication slot and publication, its topics. */
export interface CdcNames {
  connector: string;
  /** PostgreSQL slot and publication names: lower case, digits and `_`, at most 63 bytes. */
  slot: string;
  publication: string;
  /** Debezium's `topic.prefix`: its own topics are `<prefix>.<schema>.<table>`, and it is `source.name` in events. */
  topicPrefix: string;
  /** Where those per-table topics are routed: one topic for every CDC table (see buildConnectorConfig). */
  eventsTopic: string;
}

type NameSettings = Pick<Settings, "KAFKA_TOPIC_PREFIX">;

/** @example cdcNames("shop", settings).slot === "cdc_shop" */
export function cdcNames(source: string, settings: NameSettings): CdcNames {
  const plain = `cdc_${source.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`.slice(0, 63);
  return {
    connector: `${settings.KAFKA_TOPIC_PREFIX}cdc-${source}`,
    slot: plain,
    publication: plain,
    topicPrefix: `${settings.KAFKA_TOPIC_PREFIX}cdc.${source}`,
    eventsTopic: `${settings.KAFKA_TOPIC_PREFIX}${topics.cdcEvents}`,
  };
}

/** The source an event's `source.name` (Debezium's topic prefix) belongs to; undefined for another deployment's. */
export function sourceOfTopicPrefix(name: string, settings: NameSettings): string | undefined {
  const prefix = `${settings.KAFKA_TOPIC_PREFIX}cdc.`;
  return name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
}
