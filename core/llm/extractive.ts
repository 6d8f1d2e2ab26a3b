import type { Embedder } from "../embeddings/index.js";
import {
  cosineSimilarity,
  type Passage,
  pickPassages,
  type ScoredPassage,
  splitIntoPassages,
} from "./extractive-passages.js";
import type { LlmCallOptions, LlmProvider, LlmRequest, LlmResult, LlmStreamPart } from "./provider.js";
import type { LlmProviderName } from "./providers.js";
import { quantityNotice, quantityRows, quantityWords } from "./quantity.js";

export interface ExtractiveProviderOptions {
  /** Passages quoted at most. */
  maxPassages?: number;
  /**
   * Below this score a passage is not an answer. With all-MiniLM-L6-v2, passages that
   * answer a question score about 0.45–0.75, those of unrelated data under 0.2.
   */
  minimumScore?: number;
}

export const extractiveAnswerHeading = "From the data (extracted, not generated):";
export const extractiveNoAnswer =
  "The data does not contain an answer to this question: no passage of the retrieved documents matches it closely enough.";

/**
 * The offline provider: quotes the lines of the retrieved documents that best match the
 * question, each cited, scored with the embedder. It needs no network and never invents.
 */
export class ExtractiveProvider implements LlmProvider {
  readonly name: LlmProviderName = "extractive";
  /** It quotes; it cannot plan a query, so chat offers it no tools. */
  readonly supportsTools = false;
  readonly model: string;
  private readonly embedder: Embedder;
  private readonly maxPassages: number;
  private readonly minimumScore: number;

  constructor(embedder: Embedder, options: ExtractiveProviderOptions = {}) {
    this.embedder = embedder;
    this.model = embedder.model;
    this.maxPassages = options.maxPassages ?? 3;
    this.minimumScore = options.minimumScore ?? 0.3;
  }

  async generate(request: LlmRequest, options: LlmCallOptions = {}): Promise<LlmResult> {
    const lines = await this.answerLines(request, options.signal);
    return { text: lines.join("\n"), finishReason: "stop" };
  }

  async *stream(request: LlmRequest, options: LlmCallOptions = {}): AsyncIterable<LlmStreamPart> {
    const lines = await this.answerLines(request, options.signal);
    // One delta per line, so a streaming client sees the answer arrive the way a model's would.
    for (const [index, line] of lines.entries()) {
      options.signal?.throwIfAborted();
      yield { type: "text-delta", text: index === 0 ? line : `\n${line}` };
    }
    options.signal?.throwIfAborted();
    yield { type: "finish", finishReason: "stop" };
  }

  private async answerLines(request: LlmRequest, signal: AbortSignal | undefined): Promise<string[]> {
    signal?.throwIfAborted();
    const question = (request.question ?? lastUserMessage(request)).trim();
    const documents = request.documents ?? [];
    // Cheapest, how many, average…: quoting the closest rows would look like an answer and not be one.
    const words = quantityWords(question);
    if (words.length > 0) {
      return [
        quantityNotice(words),
        ...(documents.length ? quantityRows(documents) : ["(no rows matched the question)"]),
      ];
    }
    const passages = splitIntoPassages(documents);
    if (!question || passages.length === 0) return [extractiveNoAnswer];

    const vectors = await abortable(
      this.embedder.embed([
        question,
        ...documents.map((document) => document.content),
        ...passages.map(({ text }) => text),
      ]),
      signal,
    );
    const [questionVector, ...rest] = vectors;
    if (!questionVector) return [extractiveNoAnswer];
    const documentScores = new Map(
      documents.map((document, index) => [document.n, similarity(questionVector, rest[index])]),
    );
    const passageVectors = rest.slice(documents.length);
    const scored = passages.map((passage, index) =>
      score(passage, similarity(questionVector, passageVectors[index]), documentScores.get(passage.n) ?? 0),
    );
    const picked = pickPassages(scored, { limit: this.maxPassages, minimumScore: this.minimumScore });
    if (picked.length === 0) return [extractiveNoAnswer];
    return [extractiveAnswerHeading, ...picked.map((passage) => `- ${passage.text} [${passage.n}]`)];
  }
}

/**
 * Half the passage's own similarity, half its document's: "price: 89.99" says little on
 * its own, but belongs in the answer when its document is the one asked about.
 */
function score(passage: Passage, passageSimilarity: number, documentSimilarity: number): ScoredPassage {
  return { ...passage, score: (passageSimilarity + documentSimilarity) / 2 };
}

function similarity(question: Float32Array, other: Float32Array | undefined): number {
  return other ? cosineSimilarity(question, other) : 0;
}

/** Without `question`, the last user turn is the best guess at it. */
function lastUserMessage(request: LlmRequest): string {
  const last = request.messages.findLast((message) => message.role === "user");
  return last && "content" in last ? last.content : "";
}

/**
 * Settles with the signal's reason as soon as it aborts. The embedder cannot be
 * interrupted, so the work finishes in the background and its result is dropped.
 */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
