import type { Embedder } from "../../core/embeddings/index.js";

/**
 * A stand-in for the model where a test needs many embeddings fast and not their quality: each
 * word hashed into one of the vector's slots, L2-normalised. Same text, same vector; texts
 * sharing words are close. It names the real model so the store accepts its vectors.
 */
export class HashingEmbedder implements Embedder {
  readonly model = "Xenova/all-MiniLM-L6-v2";
  readonly dimension = 384;
  readonly maxTokens = 256;

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => {
      const vector = new Float32Array(this.dimension);
      for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
        let hash = 2_166_136_261;
        for (let index = 0; index < word.length; index++) hash = Math.imul(hash ^ word.charCodeAt(index), 16_777_619);
        const slot = (hash >>> 0) % this.dimension;
        vector[slot] = (vector[slot] ?? 0) + 1;
      }
      const norm = Math.hypot(...vector) || 1;
      return vector.map((value) => value / norm);
    });
  }

  async countTokens(texts: readonly string[]): Promise<number[]> {
    return texts.map((text) => text.split(/\s+/).filter(Boolean).length);
  }

  async warmUp(): Promise<void> {}

  async close(): Promise<void> {}
}
