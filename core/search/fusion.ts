/** One side's candidate: an id with that side's score, best first in its list. */
export interface Ranked {
  id: string;
  score: number;
}

export type FusionMethod = "weighted" | "rrf";

export interface FusionSettings {
  method: FusionMethod;
  /** Weighted fusion: the vector side's weight; the keyword side gets 1 − it. */
  vectorWeight: number;
  /** Reciprocal rank fusion's k. */
  rrfK: number;
}

/** Scores scaled to [0, 1] within their list (the best 1, the worst 0); a list of equal scores is all 1. */
function minMax(list: readonly Ranked[]): Map<string, number> {
  const scores = list.map((item) => item.score);
  const low = Math.min(...scores);
  const span = Math.max(...scores) - low;
  return new Map(list.map((item) => [item.id, span > 0 ? (item.score - low) / span : 1]));
}

/**
 * Fuses the vector and keyword rankings into one score per id, higher better. `weighted` adds the
 * min-max normalised scores by weight (a side that did not find an id adds 0); `rrf` adds 1/(k + rank).
 */
export function fuse(
  vector: readonly Ranked[],
  keyword: readonly Ranked[],
  settings: FusionSettings,
): Map<string, number> {
  const fused = new Map<string, number>();
  const add = (id: string, value: number) => {
    fused.set(id, (fused.get(id) ?? 0) + value);
  };
  if (settings.method === "rrf") {
    for (const list of [vector, keyword]) {
      for (const [index, item] of list.entries()) add(item.id, 1 / (settings.rrfK + index + 1));
    }
    return fused;
  }
  for (const [id, score] of minMax(vector)) add(id, settings.vectorWeight * score);
  for (const [id, score] of minMax(keyword)) add(id, (1 - settings.vectorWeight) * score);
  return fused;
}

/** The row a chunk belongs to: chunks of one row share source, table and row key. */
export function rowIdentity(id: string, metadata: Record<string, unknown>): string {
  const key = metadata.row_key;
  return key === undefined ? `id:${id}` : JSON.stringify([metadata.source, metadata.table, key]);
}

/** Keeps the first (best) item of each row, order kept. */
export function onePerRow<T extends { id: string; metadata: Record<string, unknown> }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const row = rowIdentity(item.id, item.metadata);
    if (seen.has(row)) return false;
    seen.add(row);
    return true;
  });
}
