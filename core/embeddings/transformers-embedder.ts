import path from "node:path";
import type { FeatureExtractionPipeline } from "@huggingface/transformers";
import { metrics } from "../metrics/index.js";
import { EmbeddingModelUnavailableError } from "./errors.js";
import { LocalModelEmbedder } from "./local-model-embedder.js";

export interface TransformersEmbedderOptions {
  /** Model id, a folder under `modelDir` (e.g. Xenova/all-MiniLM-L6-v2). */
  model: string;
  modelDir: string;
  dtype: "fp32" | "q8";
  batchSize: number;
  allowRemote: boolean;
  dimension?: number;
  maxTokens?: number;
  /** Batch texts of similar length together (default true); false keeps input order, for comparison. */
  sortByLength?: boolean;
}

/** transformers.js, reading models from `modelDir`. */
export async function importTransformers(options: { modelDir: string; allowRemote: boolean }) {
  // Imported on first use: loading transformers.js loads the native ONNX runtime, which a
  // deployed function that never embeds (docs, status) does not ship.
  const transformers = await import("@huggingface/transformers");
  // transformers.js keeps these as process-wide settings; every embedder in a process shares them.
  transformers.env.localModelPath = path.resolve(options.modelDir) + path.sep;
  transformers.env.allowLocalModels = true;
  transformers.env.allowRemoteModels = options.allowRemote;
  return transformers;
}

/** all-MiniLM-L6-v2 (or any BERT-style sentence model) in-process through transformers.js. */
export class TransformersEmbedder extends LocalModelEmbedder {
  private readonly options: TransformersEmbedderOptions;
  private extractor: Promise<FeatureExtractionPipeline> | undefined;

  constructor(options: TransformersEmbedderOptions) {
    super(options);
    this.options = options;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const extractor = await this.load();
    // A batch is padded to its longest text, so a short text batched with a long one costs as
    // much as the long one. Batching by length (characters: a close proxy for tokens, free to
    // compute) wastes less; each vector goes back to its text's place.
    const order = texts.map((_, index) => index);
    if (this.options.sortByLength !== false) {
      order.sort((left, right) => (texts[left]?.length ?? 0) - (texts[right]?.length ?? 0));
    }
    const vectors = new Array<Float32Array>(texts.length);
    for (let start = 0; start < texts.length; start += this.options.batchSize) {
      const indices = order.slice(start, start + this.options.batchSize);
      const batch = indices.map((index) => texts[index] ?? "");
      const timed = metrics.embedderBatchSeconds.startTimer({});
      const output = await extractor(batch, { pooling: "mean", normalize: true });
      const seconds = timed();
      metrics.embedderDocuments.inc({}, batch.length);
      if (seconds > 0) metrics.embedderDocumentsPerSecond.set({}, batch.length / seconds);
      const data = output.data as Float32Array;
      const width = output.dims.at(-1) ?? this.dimension;
      indices.forEach((index, row) => {
        vectors[index] = data.slice(row * width, (row + 1) * width);
      });
      output.dispose();
    }
    return vectors;
  }

  async close(): Promise<void> {
    const extractor = this.extractor;
    this.extractor = undefined;
    if (extractor) await (await extractor.catch(() => undefined))?.dispose();
  }

  private async createExtractor(): Promise<FeatureExtractionPipeline> {
    const { pipeline } = await importTransformers(this.options);
    return pipeline("feature-extraction", this.model, { dtype: this.options.dtype });
  }

  protected load(): Promise<FeatureExtractionPipeline> {
    if (!this.extractor) {
      this.extractor = this.createExtractor().catch((error: unknown) => {
        this.extractor = undefined;
        throw new EmbeddingModelUnavailableError(this.model, error);
      });
    }
    return this.extractor;
  }
}
