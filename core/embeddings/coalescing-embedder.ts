import type { Embedder } from "./embedder.js";

interface Waiting {
  texts: readonly string[];
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the model a call or two at a time and merges the calls that arrive meanwhile into the next
 * one. Under load, a search embeds one short query per request; run one by one, every run pays
 * the model's fixed cost for a single text, and requests queue behind each other. Merged, fifty
 * waiting queries cost about one run. Nothing waits on purpose: an idle embedder starts at once,
 * so a lone request is no slower. Callers are served in arrival order.
 */
export class CoalescingEmbedder implements Embedder {
  readonly model: string;
  readonly dimension: number;
  readonly maxTokens: number;
  private readonly waiting: Waiting[] = [];
  private running = 0;

  /**
   * `maxTexts`: merge calls up to about this many texts (a call larger than that runs alone).
   * `concurrency`: merged calls given to the model at once. One for a model that runs one call at a
   * time; two for worker sessions that queue batches, so the next call's batches are waiting when
   * the last of a call's batches ends and no session idles between calls.
   */
  constructor(
    private readonly base: Embedder,
    private readonly maxTexts: number,
    private readonly concurrency = 1,
  ) {
    this.model = base.model;
    this.dimension = base.dimension;
    this.maxTokens = base.maxTokens;
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ texts, resolve, reject });
      void this.drain();
    });
  }

  countTokens(texts: readonly string[]): Promise<number[]> {
    return this.base.countTokens(texts);
  }

  warmUp(): Promise<void> {
    return this.base.warmUp();
  }

  close(): Promise<void> {
    return this.base.close();
  }

  private async drain(): Promise<void> {
    if (this.running >= this.concurrency) return;
    this.running++;
    try {
      while (this.waiting.length > 0) {
        const group = this.nextGroup();
        try {
          const vectors = await this.base.embed(group.flatMap((call) => call.texts));
          let offset = 0;
          for (const call of group) {
            call.resolve(vectors.slice(offset, offset + call.texts.length));
            offset += call.texts.length;
          }
        } catch (error) {
          if (group.length === 1) group[0]?.reject(error);
          // One caller's texts must not fail the others merged with it: each runs again alone.
          else for (const call of group) await this.base.embed(call.texts).then(call.resolve, call.reject);
        }
      }
    } finally {
      this.running--;
    }
  }

  /** The oldest call, then later ones while they fit under maxTexts. */
  private nextGroup(): Waiting[] {
    const group = this.waiting.splice(0, 1);
    let count = group[0]?.texts.length ?? 0;
    while (this.waiting.length > 0 && count + (this.waiting[0]?.texts.length ?? 0) <= this.maxTexts) {
      const next = this.waiting.shift() as Waiting;
      count += next.texts.length;
      group.push(next);
    }
    return group;
  }
}
