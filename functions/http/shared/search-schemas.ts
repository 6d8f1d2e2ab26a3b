import { z } from "@hono/zod-openapi";
import { retrievalModes } from "../../../core/search/index.js";

export const retrievalModeSchema = z.enum(retrievalModes).openapi({
  description:
    "hybrid: keyword (PostgreSQL full-text) and vector rankings fused; vector: meaning only; keyword: words only. Default: hybrid when the keyword index is configured, else vector",
  example: "hybrid",
});

/** Why a stored chunk was found: which side matched it, with that side's score and rank. */
export const matchExplanation = {
  matched_by: z
    .array(z.enum(["vector", "keyword"]))
    .openapi({ description: "Which rankings found it (both, in hybrid mode, when the two agree)" }),
  vector_similarity: z.number().nullable().openapi({
    description:
      "Cosine similarity in [-1, 1]; null when only the keyword side found it (chat measures it for its minimum score)",
  }),
  vector_rank: z.number().int().nullable().openapi({ description: "1-based rank among the vector side's candidates" }),
  keyword_score: z
    .number()
    .nullable()
    .openapi({ description: "PostgreSQL ts_rank (length-normalised); null when only the vector side found it" }),
  keyword_rank: z
    .number()
    .int()
    .nullable()
    .openapi({ description: "1-based rank among the keyword side's candidates" }),
};

export const SearchMatchSchema = z
  .object({
    id: z.string(),
    content: z.string(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    relevance_score: z.number().openapi({
      description:
        "The score results are ranked by: the fused score in hybrid mode (0–1 with weighted fusion), cosine similarity in vector mode, ts_rank in keyword mode; a row holding an identifier query (a code such as SKU-LM-4729) verbatim gets +1 in hybrid and keyword mode",
    }),
    ...matchExplanation,
  })
  .openapi("SearchMatch");
