export { CoalescingEmbedder } from "./coalescing-embedder.js";
export { createEmbedder } from "./create-embedder.js";
export type { Embedder } from "./embedder.js";
export { EmbeddingModelUnavailableError } from "./errors.js";
export { HashEmbedder, type HashEmbedderOptions } from "./hash-embedder.js";
export { defaultEmbeddingDimension, embeddingModelInfo } from "./model-info.js";
export { SessionPoolEmbedder, type SessionPoolEmbedderOptions } from "./session-pool-embedder.js";
export { TransformersEmbedder, type TransformersEmbedderOptions } from "./transformers-embedder.js";
