import { AppError } from "../errors/index.js";

/** The model files are missing or unreadable; `npm run services -- up model` assembles them. */
export class EmbeddingModelUnavailableError extends AppError {
  constructor(model: string, cause: unknown) {
    super(`embedding model ${model} could not be loaded; run "npm run services -- up model"`, {
      code: "embedding_model_unavailable",
      cause,
      details: { component: "embedder", model },
    });
    this.name = "EmbeddingModelUnavailableError";
  }
}
