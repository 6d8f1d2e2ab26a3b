import type { Settings } from "../config/index.js";
import type { Embedder } from "../embeddings/index.js";
import {
  type KeywordIndex,
  KeywordIndexDisabledError,
  KeywordIndexUnavailableError,
  type KeywordMatch,
} from "../keyword/index.js";
import { metrics } from "../metrics/index.js";
import type { MetadataFilters, VectorMatch, VectorStore } from "../vectors/index.js";
import { VectorStoreUnavailableError } from "../vectors/index.js";
import { fuse, onePerRow } from "./fusion.js";

export const retrievalModes = ["hybrid", "vector", "keyword"] as const;
export type RetrievalMode = (typeof retrievalModes)[number];

export interface SearchRequest {
  query: string;
  maxResults: number;
  filters?: MetadataFilters | undefined;
  /** Vector matches below this cosine similarity are dropped (keyword matches are kept). */
  minScore?: number | undefined;
  /** Unset: SEARCH_DEFAULT_MODE, else hybrid when the keyword index is configured, else vector. */
  mode?: RetrievalMode | undefined;
  /** Chunks of one row collapse into its best chunk (default true), so n results are n rows. */
  groupByRow?: boolean | undefined;
}

/** A stored chunk found by a query, with why it was found. */
export interface SearchMatch extends VectorMatch {
  /** The score results are ranked by: fused (hybrid), cosine similarity (vector) or ts_rank (keyword). */
  relevance_score: number;
  matched_by: ("vector" | "keyword")[];
  /** Cosine similarity, when the vector side found it (or a minimum score had it measured). */
  vector_similarity: number | null;
  vector_rank: number | null;
  /** Length-normalised ts_rank, when the keyword side found it. */
  keyword_score: number | null;
  keyword_rank: number | null;
}

export interface SearchOutcome {
  /** The mode that answered: hybrid asked of a service whose keyword index is down answers as vector. */
  mode: RetrievalMode;
  results: SearchMatch[];
  /** What degraded without failing the search, e.g. the keyword index being down. */
  warnings: string[];
}

export interface SearchDependencies {
  embedder: Embedder;
  vectors: VectorStore | undefined;
  keywords?: KeywordIndex | undefined;
  settings: Pick<
    Settings,
    | "SEARCH_DEFAULT_MODE"
    | "HYBRID_FUSION"
    | "HYBRID_VECTOR_WEIGHT"
    | "HYBRID_RRF_K"
    | "HYBRID_CANDIDATES"
    | "HYBRID_KEYWORD_FALLBACK"
  >;
}

/** The mode a request gets when it names none. */
function defaultRetrievalMode(dependencies: Pick<SearchDependencies, "keywords" | "settings">): RetrievalMode {
  return dependencies.settings.SEARCH_DEFAULT_MODE ?? (dependencies.keywords ? "hybrid" : "vector");
}

const unavailableWarning =
  "the keyword index is unavailable: these results come from vector search alone (mode vector)";
const disabledWarning = "hybrid search needs the keyword index (SEARCH_DATABASE_URL): these results are vector only";

/**
 * Retrieval only: the stored chunks that best answer a query, best first, by meaning (vector),
 * by words (keyword, PostgreSQL full-text) or both fused (hybrid).
 * @example await search(context, { query: "a desk for a small room", maxResults: 5, mode: "hybrid" })
 */
export async function search(dependencies: SearchDependencies, request: SearchRequest): Promise<SearchOutcome> {
  const mode = request.mode ?? defaultRetrievalMode(dependencies);
  const grouped = request.groupByRow ?? true;
  const k = request.maxResults;
  // Grouping drops a row's further chunks, and fusion needs depth on both sides: ask each for more.
  const resultsDepth = grouped ? 3 * k : k;
  const depth = mode === "hybrid" ? Math.max(dependencies.settings.HYBRID_CANDIDATES, 3 * k) : resultsDepth;
  // The keyword side ranks chunks holding only some of the query's words when too few hold all of them,
  // which on a large source is most of its cost (docs/retrieval.md): hybrid does so when they are too few
  // for keyword mode's own answer, not when they are fewer than the candidates fusion takes.
  const fallbackBelow = dependencies.settings.HYBRID_KEYWORD_FALLBACK === "candidates" ? depth : resultsDepth;
  const retrieved = metrics.retrievalSeconds.startTimer({});
  const warnings: string[] = [];
  try {
    if (mode === "keyword") {
      if (!dependencies.keywords) throw new KeywordIndexDisabledError(mode);
      const found = (await dependencies.keywords.query(request.query, { k: depth, filters: request.filters })).map(
        (match, index) => keywordOnly(match, index),
      );
      return { mode, results: finish(found, grouped, k), warnings };
    }

    const keywordSide =
      mode === "hybrid" && dependencies.keywords
        ? dependencies.keywords
            .query(request.query, { k: depth, fallbackBelow, filters: request.filters })
            .catch((error: unknown) => {
              if (!(error instanceof KeywordIndexUnavailableError)) throw error;
              warnings.push(unavailableWarning);
              return undefined;
            })
        : Promise.resolve(undefined);
    if (mode === "hybrid" && !dependencies.keywords) warnings.push(disabledWarning);
    const [{ embedding, matches: vectorMatches }, keywordMatches] = await Promise.all([
      vectorSide(dependencies, request, depth),
      keywordSide,
    ]);
    const vectorFound = vectorMatches.filter(
      (match) => request.minScore === undefined || match.relevance_score >= request.minScore,
    );
    if (!keywordMatches) {
      const results = vectorFound.map((match, index) => vectorOnly(match, index));
      return { mode: "vector", results: finish(results, grouped, k), warnings };
    }
    const fused = fuse(
      vectorFound.map((match) => ({ id: match.id, score: match.relevance_score })),
      keywordMatches.map((match) => ({ id: match.id, score: match.score })),
      {
        method: dependencies.settings.HYBRID_FUSION,
        vectorWeight: dependencies.settings.HYBRID_VECTOR_WEIGHT,
        rrfK: dependencies.settings.HYBRID_RRF_K,
      },
    );
    const byId = new Map<string, SearchMatch>();
    for (const [index, match] of vectorFound.entries()) byId.set(match.id, vectorOnly(match, index));
    // An identifier found verbatim outranks every looser match, whatever the vector side thought of it.
    for (const match of keywordMatches)
      if (match.verbatim) fused.set(match.id, (fused.get(match.id) ?? 0) + match.verbatim * verbatimBonus);
    for (const [index, match] of keywordMatches.entries()) {
      const known = byId.get(match.id);
      if (!known) byId.set(match.id, keywordOnly(match, index));
      else
        byId.set(match.id, {
          ...known,
          matched_by: ["vector", "keyword"],
          keyword_score: match.score,
          keyword_rank: index + 1,
        });
    }
    const results = [...byId.values()]
      .map((match) => ({ ...match, relevance_score: round(fused.get(match.id) ?? 0) }))
      .sort((a, b) => b.relevance_score - a.relevance_score || a.id.localeCompare(b.id));
    const top = finish(results, grouped, k);
    return { mode, results: await aboveMinScore(dependencies, top, embedding, request.minScore), warnings };
  } finally {
    retrieved();
  }
}

/**
 * The matches alone, for callers that need no explanation or warnings.
 * @example await searchDocuments(context, { query: "a desk for a small room", maxResults: 5 })
 */
export async function searchDocuments(
  dependencies: SearchDependencies,
  request: SearchRequest,
): Promise<SearchMatch[]> {
  return (await search(dependencies, request)).results;
}

async function vectorSide(
  dependencies: SearchDependencies,
  request: SearchRequest,
  depth: number,
): Promise<{ embedding: Float32Array | number[]; matches: VectorMatch[] }> {
  if (!dependencies.vectors) throw new VectorStoreUnavailableError();
  const [embedding = []] = await dependencies.embedder.embed([request.query]);
  return { embedding, matches: await dependencies.vectors.query(embedding, { k: depth, filters: request.filters }) };
}

/**
 * A minimum score is a cosine similarity (CHAT_MIN_SCORE), so matches only the keyword side found
 * are measured too: their stored vectors are read and compared with the query's, and kept only above it.
 */
async function aboveMinScore(
  dependencies: SearchDependencies,
  results: SearchMatch[],
  query: Float32Array | number[],
  minScore: number | undefined,
): Promise<SearchMatch[]> {
  const unmeasured = results.filter((match) => match.vector_similarity === null);
  if (minScore === undefined || unmeasured.length === 0 || !dependencies.vectors) return results;
  const bySource = new Map<string, SearchMatch[]>();
  for (const match of unmeasured) {
    const source = String(match.metadata.source);
    bySource.set(source, [...(bySource.get(source) ?? []), match]);
  }
  const similarity = new Map<string, number>();
  for (const [source, matches] of bySource) {
    const records = await dependencies.vectors.getRecords(
      source,
      matches.map((match) => match.id),
    );
    for (const record of records) similarity.set(record.id, round(cosine(query, record.embedding)));
  }
  return results
    .map((match) =>
      match.vector_similarity === null ? { ...match, vector_similarity: similarity.get(match.id) ?? null } : match,
    )
    .filter((match) => match.vector_similarity !== null && match.vector_similarity >= minScore);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    const x = a[index] ?? 0;
    const y = b[index] ?? 0;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA && normB ? dot / Math.sqrt(normA * normB) : 0;
}

function finish(results: SearchMatch[], grouped: boolean, k: number): SearchMatch[] {
  return (grouped ? onePerRow(results) : results).slice(0, k);
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

function vectorOnly(match: VectorMatch, index: number): SearchMatch {
  return {
    ...match,
    matched_by: ["vector"],
    vector_similarity: match.relevance_score,
    vector_rank: index + 1,
    keyword_score: null,
    keyword_rank: null,
  };
}

/**
 * Added, once or twice, to the score of a chunk holding an identifier query verbatim in any case or in the
 * query's own case, so those rank first, the same case before the rest.
 */
const verbatimBonus = 1;

function keywordOnly(match: KeywordMatch, index: number): SearchMatch {
  return {
    id: match.id,
    content: match.content,
    metadata: match.metadata,
    relevance_score: round(match.score + match.verbatim * verbatimBonus),
    matched_by: ["keyword"],
    vector_similarity: null,
    vector_rank: null,
    keyword_score: match.score,
    keyword_rank: index + 1,
  };
}
