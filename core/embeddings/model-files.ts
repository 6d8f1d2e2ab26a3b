import { access } from "node:fs/promises";
import path from "node:path";
import type { Settings } from "../config/index.js";
import { EmbeddingModelUnavailableError } from "./errors.js";
import { embeddingModelInfo } from "./model-info.js";

type ModelFileSettings = Pick<
  Settings,
  "EMBEDDING_PROVIDER" | "EMBEDDING_MODEL" | "EMBEDDING_MODEL_DIR" | "EMBEDDING_DTYPE" | "EMBEDDING_ALLOW_REMOTE"
>;

/** The files transformers.js reads for the configured model and dtype (the hash embedder needs the tokenizer only). */
export function modelFiles(settings: ModelFileSettings): string[] {
  const folder = path.resolve(settings.EMBEDDING_MODEL_DIR, settings.EMBEDDING_MODEL);
  const tokenizer = [path.join(folder, "tokenizer.json"), path.join(folder, "tokenizer_config.json")];
  if (settings.EMBEDDING_PROVIDER === "hash") return tokenizer;
  const weights = weightsFile(settings.EMBEDDING_MODEL_DIR, settings.EMBEDDING_MODEL, settings.EMBEDDING_DTYPE);
  return [path.join(folder, "config.json"), ...tokenizer, weights];
}

/** The ONNX graph transformers.js loads for a model and dtype; the worker sessions load the same file. */
export function weightsFile(modelDir: string, model: string, dtype: Settings["EMBEDDING_DTYPE"]): string {
  return path.resolve(modelDir, model, "onnx", dtype === "q8" ? "model_quantized.onnx" : "model.onnx");
}

/**
 * Checks that the model's files are in place without loading the model: what a process that has not
 * embedded yet (a deployed health function) can say about the embedder without paying a model load.
 * Resolves with a short detail; throws EmbeddingModelUnavailableError naming the first missing file.
 */
export async function checkModelFiles(settings: ModelFileSettings): Promise<string> {
  const { model, dimension } = embeddingModelInfo(settings);
  const summary = `${model} (${dimension} dimensions, ${settings.EMBEDDING_DTYPE}`;
  for (const file of modelFiles(settings)) {
    try {
      await access(file);
    } catch (error) {
      // Remote models are fetched on first use, so absent files are not a fault then.
      if (settings.EMBEDDING_ALLOW_REMOTE) return `${summary}; not downloaded yet, fetched on first use)`;
      throw new EmbeddingModelUnavailableError(settings.EMBEDDING_MODEL, error);
    }
  }
  return `${summary}; model files present, loaded on first use)`;
}
