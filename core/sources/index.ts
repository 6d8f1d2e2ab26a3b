export { type SourceAccess, type SourceReference, withConnector } from "./access.js";
export { type ChunkOptions, chunkText, type TokenCounter } from "./chunking.js";
export { type CsvValidation, sampleCsv, validateCsv } from "./csv-files.js";
export { type DocumentShape, relatedLines, rowKey, rowToDocument, type SourceDocument } from "./documents.js";
export {
  FilePathError,
  SourceAuthenticationError,
  SourceNotFoundError,
  SourceUnavailableError,
  TableNotFoundError,
  UnknownFieldsError,
} from "./errors.js";
export { FileConnector } from "./file-connector.js";
export {
  checkFilterValue,
  filterOperators,
  filterValueSchema,
  type RowFilter,
  rowFilterSchema,
} from "./filters.js";
export { type ConnectionParams, connectionParamsSchema, InlineConnectionsDisabledError } from "./inline.js";
export { distinctKeyTuples, keyText, keyTuple } from "./key-tuples.js";
export { createMongoClient } from "./mongo-client.js";
export { MongoConnector, mongoFilter } from "./mongo-connector.js";
export { PostgresConnector, whereClause } from "./postgres-connector.js";
export { createPostgresPool } from "./postgres-pool.js";
export { createConnector, type SourceInfo, SourceRegistry } from "./registry.js";
export { isReservedMetadataKey, reservedMetadataKeys } from "./reserved.js";
export { resolveFileInside, resolveInside } from "./safe-path.js";
export { describeSchema, type SchemaResult } from "./schema-service.js";
export { resolveSelection, type Selection, type SelectionRequest } from "./selection.js";
export type {
  ColumnSchema,
  ForeignKey,
  RelatedRequest,
  SourceConnector,
  SourceKind,
  SourceRow,
  StreamRequest,
  TableForeignKeys,
  TableSchema,
  TableSummary,
} from "./types.js";
export { type MetadataValue, readPath, toMetadataValue, toText } from "./values.js";
