import type { Settings } from "../config/index.js";
import { CoalescingEmbedder } from "./coalescing-embedder.js";
import type { Embedder } from "./embedder.js";
import { HashEmbedder } from "./hash-embedder.js";
import { TransformersEmbedder } from "./transformers-embedder.js";

type EmbedderSettings = Pick<
  Settings,
  | "EMBEDDING_PROVIDER"
  | "EMBEDDING_MODEL"
  | "EMBEDDING_MODEL_DIR"
  | "EMBEDDING_DTYPE"
  | "EMBEDDING_BATCH_SIZE"
  | "EMBEDDING_ALLOW_REMOTE"
>;

/** The process's embedder as EMBEDDING_PROVIDER names it (the model unless a benchmark asks for hashes). */
export function createEmbedder(settings: EmbedderSettings): Embedder {
  const location = { modelDir: settings.EMBEDDING_MODEL_DIR, allowRemote: settings.EMBEDDING_ALLOW_REMOTE };
  if (settings.EMBEDDING_PROVIDER === "hash")
    return new HashEmbedder({ ...location, tokenizerModel: settings.EMBEDDING_MODEL });
  // Concurrent requests' texts are merged into shared model runs, up to four batches at a time.
  return new CoalescingEmbedder(
    new TransformersEmbedder({
      ...location,
      model: settings.EMBEDDING_MODEL,
      dtype: settings.EMBEDDING_DTYPE,
      batchSize: settings.EMBEDDING_BATCH_SIZE,
    }),
    settings.EMBEDDING_BATCH_SIZE * 4,
  );
}
