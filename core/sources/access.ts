import type { Settings } from "../config/index.js";
import { InvalidInputError } from "../errors/index.js";
import { type ConnectionParams, InlineConnectionsDisabledError, inlineSourceConfig } from "./inline.js";
import { createConnector, type SourceRegistry } from "./registry.js";
import type { SourceConnector, SourceKind } from "./types.js";

/** How a request names its data: a configured source (preferred) or, when enabled, inline params. */
export interface SourceReference {
  source?: string | undefined;
  db_type?: SourceKind | undefined;
  connection_params?: ConnectionParams | undefined;
}

export interface SourceAccess {
  sources: SourceRegistry;
  settings: Pick<Settings, "ALLOW_INLINE_CONNECTIONS" | "DATA_DIR" | "SCHEMA_SAMPLE_SIZE">;
}

/**
 * Runs `use` with the connector a request refers to. Configured connectors stay open for the
 * process; an inline one lives for this call only and is closed after it.
 */
export async function withConnector<T>(
  access: SourceAccess,
  reference: SourceReference,
  use: (connector: SourceConnector) => Promise<T>,
): Promise<T> {
  if (reference.source) {
    const connector = access.sources.get(reference.source);
    if (reference.db_type && reference.db_type !== connector.kind) {
      throw new InvalidInputError(`source '${reference.source}' is ${connector.kind}, not ${reference.db_type}`, {
        source: reference.source,
      });
    }
    return use(connector);
  }
  if (!reference.connection_params) {
    throw new InvalidInputError("name a configured source ('source'; see GET /sources) or give connection_params");
  }
  if (!access.settings.ALLOW_INLINE_CONNECTIONS) throw new InlineConnectionsDisabledError();
  if (reference.db_type !== "postgresql" && reference.db_type !== "mongodb") {
    throw new InvalidInputError("connection_params need db_type postgresql or mongodb");
  }
  const connector = createConnector(
    inlineSourceConfig(reference.db_type, reference.connection_params),
    access.settings,
  );
  try {
    return await use(connector);
  } finally {
    await connector.close();
  }
}
