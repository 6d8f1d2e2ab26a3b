import { z } from "zod";
import type { RetrievalMode } from "./ranking.js";

/** What the bench reads of /search's answer: each match's row and which side found it. */
const SearchAnswerSchema = z.object({
  mode: z.string().optional(),
  warnings: z.array(z.unknown()).optional(),
  results: z.array(
    z.object({
      id: z.string(),
      metadata: z.looseObject({ row_key: z.union([z.string(), z.number()]) }),
      matched_by: z.array(z.string()).optional(),
    }),
  ),
});

export interface SearchOutcome {
  rowKeys: string[];
  /** Per match, which rankings found it; undefined when the server does not say (it predates `mode`). */
  matchedBy: (string[] | undefined)[];
  milliseconds: number;
}

export type Fetcher = (request: Request) => Response | Promise<Response>;

/**
 * One POST /search in the final contract `{query, max_results, mode, filters}`; throws on any
 * status but 200, so a failed request can never pass for a miss.
 */
export async function search(
  fetcher: Fetcher,
  body: { query: string; max_results: number; mode: RetrievalMode; filters: Record<string, string> },
): Promise<SearchOutcome> {
  const started = performance.now();
  const response = await fetcher(
    new Request("http://bench.local/search", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  const text = await response.text();
  const milliseconds = performance.now() - started;
  if (response.status !== 200) {
    throw new Error(`/search (${body.mode}) answered ${response.status}: ${text.slice(0, 300)}`);
  }
  const answer = SearchAnswerSchema.parse(JSON.parse(text));
  // Hybrid answers from vectors alone (with a warning) while the keyword index is down: that is
  // not the mode being measured.
  if (answer.mode !== undefined && answer.mode !== body.mode) {
    throw new Error(
      `/search answered in ${answer.mode} mode when asked for ${body.mode}: ${JSON.stringify(answer.warnings)}`,
    );
  }
  if (answer.warnings?.length) throw new Error(`/search (${body.mode}) warned: ${JSON.stringify(answer.warnings)}`);
  return {
    rowKeys: answer.results.map((result) => String(result.metadata.row_key)),
    matchedBy: answer.results.map((result) => result.matched_by),
    milliseconds,
  };
}
