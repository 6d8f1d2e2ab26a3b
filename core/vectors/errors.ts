import { AppError, ComponentUnavailableError } from "../errors/index.js";

export class VectorStoreUnavailableError extends ComponentUnavailableError {
  constructor(cause?: unknown) {
    super("vector_store", { cause });
    this.name = "VectorStoreUnavailableError";
  }
}

/** A collection holds vectors of another model (or dimension): mixing them would give nonsense scores. */
export class EmbeddingModelMismatchError extends AppError {
  constructor(collection: string, stored: string, current: string) {
    super(
      `collection '${collection}' holds vectors from ${stored}, but the embedder is ${current}; re-ingest into a new collection or switch the model back`,
      { code: "embedding_model_mismatch", details: { collection, stored, current } },
    );
    this.name = "EmbeddingModelMismatchError";
  }
}
