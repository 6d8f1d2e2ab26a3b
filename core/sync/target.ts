import type { Redis } from "ioredis";
import type { Settings } from "../config/index.js";
import type { Embedder } from "../embeddings/index.js";
import type { KeywordIndex } from "../keyword/index.js";
import { type Relation, type RelationSettings, resolveRelations, withRelationKeys } from "../relations/index.js";
import {
  type DocumentShape,
  resolveSelection,
  rowKey,
  type Selection,
  type SourceAccess,
  type SourceConnector,
  type SourceRow,
  UnknownFieldsError,
} from "../sources/index.js";
import type { VectorStore } from "../vectors/index.js";
import type { SyncSpec } from "./spec.js";
import { SyncStateStore } from "./state.js";

export interface SyncDependencies extends SourceAccess {
  settings: SourceAccess["settings"] &
    RelationSettings &
    Pick<
      Settings,
      | "EMBEDDING_BATCH_SIZE"
      | "CHUNK_MAX_TOKENS"
      | "CHUNK_OVERLAP_TOKENS"
      | "SYNC_INGEST_MAX_ROWS"
      | "REDIS_KEY_PREFIX"
      | "SYNC_PAGE_SIZE"
      | "SYNC_LOCK_SECONDS"
      | "SYNC_WAIT_SECONDS"
      | "AUDIT_SAMPLE_SIZE"
    >;
  embedder: Embedder;
  vectors: VectorStore;
  /** Checked by the audit; writes reach it through the vector store. */
  keywords?: KeywordIndex | undefined;
  redis: Redis | undefined;
}

/** A table checked against its schema and ready to read: what to read, how rows become documents. */
export interface SyncTarget {
  connector: SourceConnector;
  selection: Selection;
  shape: DocumentShape;
  /** The spec's includes, checked; their rows are loaded per page before documents are built. */
  relations: Relation[];
  /** The selection's fields plus the watermark column. */
  readFields: string[];
  /** Enough to build each row's id: the key columns, or every selected field when the table has none. */
  keyFields: string[];
}

export const stateStore = (dependencies: Pick<SyncDependencies, "redis" | "settings">) =>
  new SyncStateStore(dependencies.redis, { prefix: dependencies.settings.REDIS_KEY_PREFIX });

/** Checks every name the spec uses against the table's schema (unknown names are one 400), like ingestion does. */
export async function resolveTarget(
  dependencies: Pick<SyncDependencies, "sources" | "settings">,
  source: string,
  table: string,
  spec: SyncSpec,
): Promise<SyncTarget> {
  const connector = dependencies.sources.get(source);
  const schema = await connector.describe(table);
  const watermark = spec.watermark_column;
  const relations = await resolveRelations(connector, schema, spec.include, dependencies.settings, {
    watermarkColumn: watermark,
  });
  const selection = withRelationKeys(
    resolveSelection(connector.name, schema, {
      fields: spec.fields,
      textFields: spec.text_fields,
      filters: spec.filters,
    }),
    relations,
  );
  if (watermark && !schema.columns.some((column) => column.name === watermark)) {
    throw new UnknownFieldsError(connector.name, table, [watermark]);
  }
  const covered = (field: string) =>
    selection.readFields.some((read) => read === field || field.startsWith(`${read}.`));
  const readFields = watermark && !covered(watermark) ? [...selection.readFields, watermark] : selection.readFields;
  return {
    connector,
    selection,
    shape: { source: connector.name, table, ...selection },
    relations,
    readFields,
    keyFields: selection.primaryKey.length > 0 ? selection.primaryKey : selection.readFields,
  };
}

/** The document id a row gets (`source:table:key`), without building the document. */
export const documentId = (shape: DocumentShape, row: SourceRow) =>
  `${shape.source}:${shape.table}:${rowKey(row, shape)}`;

/** The row a stored record belongs to: its `row_key`, or its id without a chunk suffix for records missing one. */
export function storedRowId(source: string, table: string, record: { id: string; metadata: Record<string, unknown> }) {
  const key = record.metadata.row_key;
  return typeof key === "string" ? `${source}:${table}:${key}` : record.id.replace(/#\d+$/, "");
}
