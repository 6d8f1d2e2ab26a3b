/**
 * What every embedding provider offers. Callers depend on this alone, so a hosted
 * embeddings API can replace the local model without touching them.
 */
export interface Embedder {
  /** The model's name, recorded on each vector collection so mixing models is refused. */
  readonly model: string;
  /** Vector length. */
  readonly dimension: number;
  /** One L2-normalised vector per text, in input order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** The model's input window in tokens, special tokens included. */
  readonly maxTokens: number;
  /** Tokens each text becomes, without special tokens; for chunking long text to fit the window. */
  countTokens(texts: readonly string[]): Promise<number[]>;
  /** Loads the model (idempotent), so the first request does not pay for it. */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}
