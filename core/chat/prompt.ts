import type { LlmDocument, LlmMessage, LlmRequest } from "../llm/index.js";
import type { SearchMatch } from "../search/index.js";
import type { VectorMatch } from "../vectors/index.js";
import type { HistoryMessage } from "./history.js";

/** Why retrieval found a document (see SearchMatch); absent for matches built without it. */
type MatchExplanation = Partial<
  Pick<SearchMatch, "matched_by" | "vector_similarity" | "vector_rank" | "keyword_score" | "keyword_rank">
>;

/** A retrieved document as the answer cites it: `n` is the number the prompt gave it. */
export interface ChatSource extends MatchExplanation {
  n: number;
  content: string;
  metadata: VectorMatch["metadata"];
  relevance_score: number;
}

export const systemPrompt = [
  "You answer questions about the user's data using only the numbered documents supplied with the question.",
  "Cite every fact with the number of its document in square brackets, like [1] or [2][3].",
  "If the documents do not contain the answer, say plainly that the data does not contain it; never guess or use outside knowledge.",
  "Read structured fields faithfully: copy numbers, prices, quantities, dates and names exactly as they appear.",
  "Earlier turns of the conversation are context for follow-up questions, not a source of facts.",
].join("\n");

/** The system prompt when the model may call tools: their results are data too, cited as [n] and [Qn]. */
export const toolSystemPrompt = [
  "You answer questions about the user's data using only the numbered documents supplied with the question and the results of the tools you call.",
  "Cite every fact with the number of its document in square brackets, like [1] or [2][3]; cite a figure from a query result by the query's label, like [Q1].",
  "The documents are only the few rows most similar to the question, never the whole set: for any question of quantity (the cheapest, the most expensive, how many, an average, a total, the newest, per category) call `query` and answer from its result.",
  "Call `search` when the documents do not hold what the question needs. If a tool returns an error, correct the call and try again, or say what could not be found.",
  "If the data does not contain the answer, say so plainly; never guess or use outside knowledge.",
  "Read structured fields faithfully: copy numbers, prices, quantities, dates and names exactly as they appear.",
  "Earlier turns of the conversation are context for follow-up questions, not a source of facts.",
].join("\n");

export interface PromptInput {
  question: string;
  /** Prior messages, oldest first (already limited to the last N turns). */
  history: readonly Pick<HistoryMessage, "role" | "content">[];
  /** Retrieved matches, best first. */
  matches: readonly (VectorMatch & MatchExplanation)[];
  /** Token budget of history, documents and question together. */
  contextTokens: number;
}

export interface Prompt {
  /** Plain turns only: tool turns are added by the loop that runs the model. */
  request: Omit<LlmRequest, "messages"> & { messages: LlmMessage[] };
  /** The documents that made it into the prompt, numbered as cited. */
  sources: ChatSource[];
}

/** Metadata the store adds for bookkeeping, not facts about the row. */
const bookkeepingFields = new Set(["chunk", "chunks", "content_hash", "ingested_at"]);

/**
 * Roughly four characters a token for English text with these models' tokenizers; close
 * enough for a budget that leaves headroom, and free, unlike running the tokenizer.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The model's request: system prompt, history, then one user turn holding the numbered
 * documents and the question. Documents that overflow the budget are dropped lowest score first.
 */
export function buildPrompt(input: PromptInput): Prompt {
  const history: LlmMessage[] = input.history.map((message) => ({ role: message.role, content: message.content }));
  const fixed =
    estimateTokens(systemPrompt) +
    estimateTokens(input.question) +
    history.reduce((total, message) => total + estimateTokens(message.content), 0);
  const kept = fitToBudget(input.matches, Math.max(0, input.contextTokens - fixed));
  const sources = kept.map((match, index) => chatSource(match, index + 1));
  const documents: LlmDocument[] = sources.map((source) => ({
    n: source.n,
    content: source.content,
    metadata: rowFields(source.metadata),
  }));
  const finalTurn = `${documentsSection(sources)}\n\nQuestion: ${input.question}`;
  return {
    request: {
      system: systemPrompt,
      messages: [...history, { role: "user", content: finalTurn }],
      documents,
      question: input.question,
    },
    sources,
  };
}

/** A match numbered as the answer cites it. */
export function chatSource(match: VectorMatch & MatchExplanation, n: number): ChatSource {
  return {
    n,
    content: match.content,
    metadata: match.metadata,
    relevance_score: match.relevance_score,
    ...(match.matched_by
      ? {
          matched_by: match.matched_by,
          vector_similarity: match.vector_similarity ?? null,
          vector_rank: match.vector_rank ?? null,
          keyword_score: match.keyword_score ?? null,
          keyword_rank: match.keyword_rank ?? null,
        }
      : {}),
  };
}

/** A row's fields without the store's bookkeeping: what a model is shown beside the text. */
export function rowFields(metadata: VectorMatch["metadata"]): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => !bookkeepingFields.has(key)));
}

/** Keeps the best matches that fit, in score order; the best one is cut to fit rather than dropped. */
function fitToBudget<T extends VectorMatch>(matches: readonly T[], budget: number): T[] {
  const ranked = [...matches].sort((a, b) => b.relevance_score - a.relevance_score);
  const kept: T[] = [];
  let used = 0;
  for (const match of ranked) {
    const cost = estimateTokens(formatDocument(0, match));
    if (used + cost <= budget) {
      kept.push(match);
      used += cost;
    } else if (kept.length === 0 && budget > 0) {
      // Even a context too small for one whole document should carry the start of the best one.
      kept.push({ ...match, content: match.content.slice(0, Math.max(0, budget * 4 - 200)) });
      break;
    } else {
      break; // Ranked by score: everything after this scores lower, and is dropped first.
    }
  }
  return kept;
}

function documentsSection(sources: readonly ChatSource[]): string {
  if (sources.length === 0) return "Documents: none matched this question.";
  return `Documents:\n${sources.map((source) => formatDocument(source.n, source)).join("\n\n")}`;
}

function formatDocument(n: number, document: { content: string; metadata: VectorMatch["metadata"] }): string {
  const fields = Object.entries(document.metadata)
    .filter(([key]) => !bookkeepingFields.has(key))
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join("; ");
  return `[${n}] (${fields})\n${document.content}`;
}
