import type { PreTrainedTokenizer } from "@huggingface/transformers";
import type { Embedder } from "./embedder.js";
import { EmbeddingModelUnavailableError } from "./errors.js";
import { importTransformers } from "./transformers-embedder.js";

export interface HashEmbedderOptions {
  /** The model whose tokenizer splits the text (a folder under `modelDir`), so chunks are the model's. */
  tokenizerModel: string;
  modelDir: string;
  allowRemote: boolean;
  dimension?: number;
  maxTokens?: number;
}

/**
 * For benchmarks and tests only (EMBEDDING_PROVIDER=hash): each text's tokens hashed into signed
 * buckets and L2-normalised. Deterministic and over a hundred times cheaper than the model, so a
 * benchmark can measure what the ingestion pipeline carries around the model, as if embedding had
 * scaled out. Texts sharing tokens land near each other; nothing more is meant by the vectors.
 * It counts tokens with the real model's tokenizer, so documents are chunked exactly as in production,
 * and its model name differs from the model's, so its vectors never mix with real ones in a collection.
 */
export class HashEmbedder implements Embedder {
  readonly model: string;
  readonly dimension: number;
  readonly maxTokens: number;
  private tokenizer: Promise<PreTrainedTokenizer> | undefined;

  constructor(private readonly options: HashEmbedderOptions) {
    this.dimension = options.dimension ?? 384;
    this.maxTokens = options.maxTokens ?? 256;
    this.model = `hash-${this.dimension}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const tokenizer = await this.load();
    return texts.map((text) => this.hashTokens(tokenizer.encode(text, { add_special_tokens: false })));
  }

  async countTokens(texts: readonly string[]): Promise<number[]> {
    const tokenizer = await this.load();
    return texts.map((text) => tokenizer.encode(text, { add_special_tokens: false }).length);
  }

  warmUp(): Promise<void> {
    return this.load().then(() => undefined);
  }

  async close(): Promise<void> {
    this.tokenizer = undefined;
  }

  private hashTokens(tokens: readonly number[]): Float32Array {
    const vector = new Float32Array(this.dimension);
    for (const token of tokens) {
      // A 32-bit mix (murmur3's finaliser): neighbouring token ids land in unrelated buckets.
      let hash = Math.imul(token ^ 0x9e3779b9, 0x85ebca6b);
      hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
      hash ^= hash >>> 16;
      const bucket = (hash >>> 1) % this.dimension;
      vector[bucket] = (vector[bucket] ?? 0) + (hash & 1 ? 1 : -1);
    }
    let norm = Math.hypot(...vector);
    // No tokens, or every bucket cancelled out: any fixed unit vector keeps the contract.
    if (norm === 0) {
      vector[0] = 1;
      norm = 1;
    }
    for (let index = 0; index < vector.length; index++) vector[index] = (vector[index] ?? 0) / norm;
    return vector;
  }

  private load(): Promise<PreTrainedTokenizer> {
    if (!this.tokenizer) {
      this.tokenizer = importTransformers(this.options)
        .then(({ AutoTokenizer }) => AutoTokenizer.from_pretrained(this.options.tokenizerModel))
        .catch((error: unknown) => {
          this.tokenizer = undefined;
          throw new EmbeddingModelUnavailableError(this.options.tokenizerModel, error);
        });
    }
    return this.tokenizer;
  }
}
