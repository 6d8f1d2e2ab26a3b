export { CoalescingEmbedder } from "./coalescing-embedder.js";
export type { Embedder } from "./embedder.js";
export { EmbeddingModelUnavailableError } from "./errors.js";
export { TransformersEmbedder, type TransformersEmbedderOptions } from "./transformers-embedder.js";
