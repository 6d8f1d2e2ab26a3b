import type { PreTrainedTokenizer } from "@huggingface/transformers";
import type { Embedder } from "./embedder.js";
import { defaultEmbeddingDimension } from "./model-info.js";

/**
 * What the in-process and the worker-session embedders share: the model's identity, and token
 * counting and warm-up over whatever each loads, which in both holds the model's tokenizer.
 */
export abstract class LocalModelEmbedder implements Embedder {
  readonly model: string;
  readonly dimension: number;
  readonly maxTokens: number;

  constructor(options: { model: string; dimension?: number | undefined; maxTokens?: number | undefined }) {
    this.model = options.model;
    this.dimension = options.dimension ?? defaultEmbeddingDimension;
    this.maxTokens = options.maxTokens ?? 256;
  }

  /** Loads the model once (later calls share the same promise). */
  protected abstract load(): Promise<{ tokenizer: PreTrainedTokenizer }>;

  abstract embed(texts: readonly string[]): Promise<Float32Array[]>;

  abstract close(): Promise<void>;

  async countTokens(texts: readonly string[]): Promise<number[]> {
    const { tokenizer } = await this.load();
    return texts.map((text) => tokenizer.encode(text, { add_special_tokens: false }).length);
  }

  warmUp(): Promise<void> {
    return this.load().then(() => undefined);
  }
}
