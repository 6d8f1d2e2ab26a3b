import type { Embedder } from "../embeddings/index.js";
import { metrics } from "../metrics/index.js";
import type { MetadataFilters, VectorMatch, VectorStore } from "../vectors/index.js";
import { VectorStoreUnavailableError } from "../vectors/index.js";

export interface SearchRequest {
  query: string;
  maxResults: number;
  filters?: MetadataFilters | undefined;
  /** Matches below this cosine similarity are dropped. */
  minScore?: number | undefined;
}

/**
 * Retrieval only: embeds the query and returns the closest stored documents, best first.
 * @example await searchDocuments(context, { query: "a desk for a small room", maxResults: 5 })
 */
export async function searchDocuments(
  dependencies: { embedder: Embedder; vectors: VectorStore | undefined },
  request: SearchRequest,
): Promise<VectorMatch[]> {
  if (!dependencies.vectors) throw new VectorStoreUnavailableError();
  const retrieved = metrics.retrievalSeconds.startTimer({});
  const [embedding] = await dependencies.embedder.embed([request.query]);
  const matches = await dependencies.vectors.query(embedding ?? [], {
    k: request.maxResults,
    filters: request.filters,
  });
  retrieved();
  return request.minScore === undefined
    ? matches
    : matches.filter((match) => match.relevance_score >= (request.minScore ?? -1));
}
