import { reservedMetadataKeys } from "../sources/index.js";
import type { LlmDocument } from "./provider.js";

/**
 * Words that ask for a computation over the whole matching set (an order, a count, an aggregate),
 * which quoting the few closest rows cannot answer. Bare "max"/"min"/"mean"/"latest" are left out:
 * they are product names and everyday words as often as they are questions of quantity.
 */
const quantityPattern =
  /\b(cheapest|least expensive|most expensive|priciest|how many|number of|average|total|sum|newest|oldest|most recent|highest|lowest|largest|smallest|biggest|maximum|minimum|count|per [a-z]+|top \d+)\b/gi;

/** The quantity words a question uses, lower-cased; empty when it asks for none. */
export function quantityWords(question: string): string[] {
  return [...new Set([...question.matchAll(quantityPattern)].map((match) => (match[1] ?? "").toLowerCase()))];
}

export const quantityNotice = (words: readonly string[]) =>
  `Answering "${words.join('", "')}" means computing over all the matching rows, which needs a generative model ` +
  "that can query the data (set LLM_PROVIDER=gemini or LLM_PROVIDER=openai). The extractive provider only quotes: " +
  "below are the closest matching rows with their numbers and dates, not the whole set.";

const bookkeeping = new Set<string>([...reservedMetadataKeys, "ingested_at", "id", "_id"]);
const numeric = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const isoDate = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** One line per retrieved row: its first text line, then its numeric and date fields, cited. */
export function quantityRows(documents: readonly LlmDocument[]): string[] {
  return documents.map((document) => {
    const title = document.content.split("\n")[0]?.trim() || `document ${document.n}`;
    const fields = Object.entries(document.metadata ?? {})
      .filter(([key, value]) => {
        if (bookkeeping.has(key)) return false;
        if (typeof value === "number") return Number.isFinite(value);
        return typeof value === "string" && (numeric.test(value.trim()) || isoDate.test(value.trim()));
      })
      // Stores do not keep metadata keys in order: sorted, the same row always reads the same.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => `${key}: ${String(value)}`);
    return `- ${title}${fields.length ? ` (${fields.join(", ")})` : ""} [${document.n}]`;
  });
}
