import type { Settings, SourceConfig } from "../config/index.js";
import { unreachable } from "../errors/index.js";
import { SourceNotFoundError } from "./errors.js";
import { FileConnector } from "./file-connector.js";
import { MongoConnector } from "./mongo-connector.js";
import { PostgresConnector } from "./postgres-connector.js";
import type { SourceConnector, SourceKind } from "./types.js";

export interface SourceInfo {
  name: string;
  kind: SourceKind;
  description?: string;
}

/**
 * The configured sources, each connector (and its pool) built on first use and kept for the
 * process. Lists names and kinds only: connection settings never leave this module.
 */
export class SourceRegistry {
  private readonly configs: Map<string, SourceConfig>;
  private readonly connectors = new Map<string, SourceConnector>();
  private readonly settings: Pick<Settings, "DATA_DIR" | "SCHEMA_SAMPLE_SIZE">;

  constructor(sources: readonly SourceConfig[], settings: Pick<Settings, "DATA_DIR" | "SCHEMA_SAMPLE_SIZE">) {
    this.configs = new Map(sources.map((source) => [source.name, source]));
    this.settings = settings;
  }

  list(): SourceInfo[] {
    return [...this.configs.values()].map((source) => ({
      name: source.name,
      kind: source.kind,
      ...(source.description ? { description: source.description } : {}),
    }));
  }

  /** The tables a source's configuration opens to structured queries; undefined when it names none. */
  queryTables(name: string): readonly string[] | undefined {
    const config = this.configs.get(name);
    if (!config) throw new SourceNotFoundError(name);
    return config.query_tables;
  }

  /** The schema a model's SQL may read, for a PostgreSQL source with `allow_sql`; undefined for any other. */
  sqlSchema(name: string): string | undefined {
    const config = this.configs.get(name);
    if (!config) throw new SourceNotFoundError(name);
    return config.kind === "postgresql" && config.allow_sql ? config.schema : undefined;
  }

  get(name: string): SourceConnector {
    const existing = this.connectors.get(name);
    if (existing) return existing;
    const config = this.configs.get(name);
    if (!config) throw new SourceNotFoundError(name);
    const connector = createConnector(config, this.settings);
    this.connectors.set(name, connector);
    return connector;
  }

  async close(): Promise<void> {
    const connectors = [...this.connectors.values()];
    this.connectors.clear();
    await Promise.allSettled(connectors.map((connector) => connector.close()));
  }
}

/** A connector for one source definition; inline connections use it too, and close it after the request. */
export function createConnector(
  config: SourceConfig,
  settings: Pick<Settings, "DATA_DIR" | "SCHEMA_SAMPLE_SIZE">,
): SourceConnector {
  switch (config.kind) {
    case "postgresql":
      return new PostgresConnector(config);
    case "mongodb":
      return new MongoConnector(config, { sampleSize: settings.SCHEMA_SAMPLE_SIZE });
    case "csv":
    case "jsonl":
      return new FileConnector(config, { dataDir: settings.DATA_DIR, sampleSize: settings.SCHEMA_SAMPLE_SIZE });
    default:
      return unreachable(config, "source kind");
  }
}
