/** The retrieval modes `/search` takes (issue 17). */
export const retrievalModes = ["vector", "keyword", "hybrid"] as const;
export type RetrievalMode = (typeof retrievalModes)[number];

/** One query's outcome: the 1-based rank of the right row among distinct rows, or undefined when not returned. */
export interface Judged {
  rank: number | undefined;
}

/**
 * Result ids to ranked distinct rows: a row's chunks count once, at its best chunk (what
 * `group_by_row` does on the server; applied here too so the metrics hold either way).
 */
export function distinctRows(rowKeys: readonly string[]): string[] {
  return [...new Set(rowKeys)];
}

export function rankOf(rows: readonly string[], expected: string): number | undefined {
  const index = rows.indexOf(expected);
  return index < 0 ? undefined : index + 1;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** hit@1, hit@5 and MRR@10 over judged queries (NaN for none, which the runner rejects). */
export function rankingMetrics(judged: readonly Judged[]): { hit_at_1: number; hit_at_5: number; mrr_at_10: number } {
  const share = (test: (rank: number) => boolean) =>
    judged.filter((item) => item.rank !== undefined && test(item.rank)).length / judged.length;
  const reciprocal = judged.reduce(
    (sum, item) => sum + (item.rank !== undefined && item.rank <= 10 ? 1 / item.rank : 0),
    0,
  );
  return {
    hit_at_1: round3(share((rank) => rank === 1)),
    hit_at_5: round3(share((rank) => rank <= 5)),
    mrr_at_10: round3(reciprocal / judged.length),
  };
}
