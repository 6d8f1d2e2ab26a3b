import type { LlmDocument } from "./provider.js";

/** A line or sentence of a retrieved document: what the extractive provider may quote. */
export interface Passage {
  /** The citation number of its document. */
  n: number;
  text: string;
}

export interface ScoredPassage extends Passage {
  score: number;
}

/** Lines longer than this are split into sentences, so a long description does not win (or lose) as one block. */
const longLineCharacters = 200;
/** A sentence ends at . ! or ? followed by space and something that can start one. */
const sentenceBoundary = /(?<=[.!?])\s+(?=["'(\p{Lu}\p{N}])/u;

/**
 * Documents are "field: value" lines (see core/sources): each line is a candidate, and a
 * long line is split into its sentences. Lines without a letter or digit are dropped, and so are
 * questions: an FAQ title resembles the user's question more than its answer does, yet answers nothing.
 */
export function splitIntoPassages(documents: readonly LlmDocument[]): Passage[] {
  return documents.flatMap((document) =>
    document.content
      .split(/\r?\n/)
      .map((line) => line.trim())
      .flatMap((line) => (line.length > longLineCharacters ? line.split(sentenceBoundary) : [line]))
      .map((text) => text.trim())
      .filter((text) => /[\p{L}\p{N}]/u.test(text) && !/\?\s*(\([^)]*\))?$/.test(text))
      .map((text) => ({ n: document.n, text })),
  );
}

/** Cosine similarity of two L2-normalised vectors (the embedder's contract), i.e. their dot product. */
export function cosineSimilarity(first: Float32Array, second: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < first.length; index++) sum += (first[index] ?? 0) * (second[index] ?? 0);
  return sum;
}

export interface PickOptions {
  limit: number;
  minimumScore: number;
}

/**
 * The best `limit` passages at or above `minimumScore`, best first, each text once
 * (the same "category: outdoor" line in two documents is quoted from the better one).
 */
export function pickPassages(scored: readonly ScoredPassage[], options: PickOptions): ScoredPassage[] {
  const seen = new Set<string>();
  const picked: ScoredPassage[] = [];
  for (const passage of [...scored].sort((first, second) => second.score - first.score)) {
    if (picked.length >= options.limit || passage.score < options.minimumScore) break;
    const key = passage.text.toLowerCase().replace(/\s+/g, " ");
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(passage);
  }
  return picked;
}
