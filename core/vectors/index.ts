export { type ChromaSettings, createChromaClient } from "./chroma-client.js";
export { EmbeddingModelMismatchError, VectorStoreUnavailableError } from "./errors.js";
export {
  type EmbeddingModelInfo,
  type StoredMetadata,
  type StoreMirror,
  type VectorMatch,
  type VectorRecord,
  VectorStore,
} from "./store.js";
export { type MetadataFilters, metadataFiltersSchema, splitFilters } from "./where.js";
