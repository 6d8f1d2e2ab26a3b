import { availableParallelism } from "node:os";
import type { Settings } from "../config/index.js";
import { CoalescingEmbedder } from "./coalescing-embedder.js";
import type { Embedder } from "./embedder.js";
import { HashEmbedder } from "./hash-embedder.js";
import { SessionPoolEmbedder } from "./session-pool-embedder.js";
import { TransformersEmbedder } from "./transformers-embedder.js";

type EmbedderSettings = Pick<
  Settings,
  | "EMBEDDING_PROVIDER"
  | "EMBEDDING_MODEL"
  | "EMBEDDING_MODEL_DIR"
  | "EMBEDDING_DTYPE"
  | "EMBEDDING_BATCH_SIZE"
  | "EMBEDDING_ALLOW_REMOTE"
  | "EMBEDDING_SESSIONS"
  | "EMBEDDING_SESSION_BATCH_SIZE"
>;

/** The process's embedder as EMBEDDING_PROVIDER names it (the model unless a benchmark asks for hashes). */
export function createEmbedder(settings: EmbedderSettings): Embedder {
  const location = { modelDir: settings.EMBEDDING_MODEL_DIR, allowRemote: settings.EMBEDDING_ALLOW_REMOTE };
  if (settings.EMBEDDING_PROVIDER === "hash")
    return new HashEmbedder({ ...location, tokenizerModel: settings.EMBEDDING_MODEL });
  const model = {
    ...location,
    model: settings.EMBEDDING_MODEL,
    dtype: settings.EMBEDDING_DTYPE,
    batchSize: settings.EMBEDDING_BATCH_SIZE,
  };
  const sessions = sessionCount(settings);
  // Concurrent requests' texts are merged into shared model runs, up to four batches at a time.
  if (sessions === 0) return new CoalescingEmbedder(new TransformersEmbedder(model), settings.EMBEDDING_BATCH_SIZE * 4);
  return new CoalescingEmbedder(
    new SessionPoolEmbedder({ ...model, batchSize: settings.EMBEDDING_SESSION_BATCH_SIZE, sessions }),
    settings.EMBEDDING_BATCH_SIZE * 4,
    2,
  );
}

/**
 * Worker sessions to run: EMBEDDING_SESSIONS, or with `auto` one per core when there are two or more
 * (one core gains nothing from a second thread). A model fetched from the hub on first use needs
 * transformers.js' own loader, so EMBEDDING_ALLOW_REMOTE keeps the in-process session.
 */
export function sessionCount(settings: Pick<Settings, "EMBEDDING_SESSIONS" | "EMBEDDING_ALLOW_REMOTE">): number {
  if (settings.EMBEDDING_ALLOW_REMOTE) return 0;
  if (settings.EMBEDDING_SESSIONS !== "auto") return settings.EMBEDDING_SESSIONS;
  const cores = availableParallelism();
  return cores >= 2 ? cores : 0;
}
