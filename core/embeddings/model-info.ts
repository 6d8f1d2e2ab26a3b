/** all-MiniLM-L6-v2's width, and that of the other BERT-style sentence models this service runs. */
export const defaultEmbeddingDimension = 384;

/**
 * The configured model's name and width, known without loading it: what the vector store names
 * its collections by, so a function that never embeds does not carry the model's runtime.
 */
export function embeddingModelInfo(settings: { EMBEDDING_MODEL: string; EMBEDDING_PROVIDER?: string }): {
  model: string;
  dimension: number;
} {
  // The hash embedder (benchmarks) names its vectors apart, so they never share a collection with the model's.
  if (settings.EMBEDDING_PROVIDER === "hash")
    return { model: `hash-${defaultEmbeddingDimension}`, dimension: defaultEmbeddingDimension };
  return { model: settings.EMBEDDING_MODEL, dimension: defaultEmbeddingDimension };
}
