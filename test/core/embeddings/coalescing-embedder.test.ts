import { afterAll, describe, expect, it } from "vitest";
import { CoalescingEmbedder, type Embedder, TransformersEmbedder } from "../../../core/embeddings/index.js";
import { testSettings } from "../../support/services.js";

const largestDifference = (a: Float32Array, b: Float32Array) =>
  a.reduce((largest, value, index) => Math.max(largest, Math.abs(value - (b[index] ?? 0))), 0);

describe("the coalescing embedder merges concurrent calls into shared model runs", () => {
  const settings = testSettings();
  const model = new TransformersEmbedder({
    model: settings.EMBEDDING_MODEL,
    modelDir: settings.EMBEDDING_MODEL_DIR,
    dtype: settings.EMBEDDING_DTYPE,
    batchSize: settings.EMBEDDING_BATCH_SIZE,
    allowRemote: false,
  });
  afterAll(() => model.close());

  /** The real model, recording the size of every run it is asked for; a text "boom" fails its run. */
  const recorded = () => {
    const runs: number[] = [];
    const base: Embedder = {
      model: model.model,
      dimension: model.dimension,
      maxTokens: model.maxTokens,
      embed: async (texts) => {
        runs.push(texts.length);
        if (texts.includes("boom")) throw new Error("the model failed");
        return model.embed(texts);
      },
      countTokens: (texts) => model.countTokens(texts),
      warmUp: () => model.warmUp(),
      close: async () => undefined,
    };
    return { runs, base };
  };

  it("gives each caller the vectors of its own texts, from two runs instead of twenty-four", async () => {
    const { runs, base } = recorded();
    const embedder = new CoalescingEmbedder(base, 128);
    const texts = Array.from({ length: 24 }, (_, n) => `question ${n}: ${"where is my parcel ".repeat(1 + (n % 4))}`);
    const results = await Promise.all(texts.map((text) => embedder.embed([text])));
    // The first call finds the model idle and runs alone; the 23 that came meanwhile share the next run.
    expect(runs).toEqual([1, 23]);
    for (const [index, text] of texts.entries()) {
      const [alone] = await model.embed([text]);
      expect(results[index]).toHaveLength(1);
      expect(largestDifference(results[index]?.[0] as Float32Array, alone as Float32Array)).toBeLessThan(1e-5);
    }
  });

  it("keeps each run under its size limit, lets a larger call run whole, and serves callers in order", async () => {
    const { runs, base } = recorded();
    const embedder = new CoalescingEmbedder(base, 4);
    const order: number[] = [];
    const calls = [1, 2, 2, 6, 1, 1].map((count, call) =>
      embedder.embed(Array.from({ length: count }, (_, n) => `call ${call} text ${n}`)).then((vectors) => {
        order.push(call);
        return vectors;
      }),
    );
    const results = await Promise.all(calls);
    expect(runs).toEqual([1, 4, 6, 2]);
    expect(results.map((vectors) => vectors.length)).toEqual([1, 2, 2, 6, 1, 1]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("fails only the call whose texts failed the model, not the calls merged with it", async () => {
    const { runs, base } = recorded();
    const embedder = new CoalescingEmbedder(base, 128);
    const outcomes = await Promise.allSettled([
      embedder.embed(["first"]),
      embedder.embed(["shares the failed run"]),
      embedder.embed(["boom"]),
      embedder.embed(["also shares it"]),
    ]);
    // The merged run of three failed, so each of its calls ran again alone.
    expect(runs).toEqual([1, 3, 1, 1, 1]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect(await embedder.embed(["after the failure"])).toHaveLength(1);
    expect(await embedder.embed([])).toEqual([]);
  });

  it("gives the model as many merged calls at once as it was told to, and no more", async () => {
    /** The model, each run held until released, counting the runs under way. */
    const held = () => {
      let running = 0;
      let most = 0;
      const releases: (() => void)[] = [];
      const base: Embedder = {
        ...recorded().base,
        embed: async (texts) => {
          running++;
          most = Math.max(most, running);
          await new Promise<void>((resolve) => releases.push(resolve));
          running--;
          return model.embed(texts);
        },
      };
      const started = () => releases.length;
      /** Lets every run through, those started meanwhile too, until `calls` have all been answered. */
      const releaseUntil = async (calls: Promise<unknown>) => {
        let answered = false;
        void calls.finally(() => {
          answered = true;
        });
        while (!answered) {
          for (const release of releases.splice(0)) release();
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      return { base, started, releaseUntil, most: () => most };
    };
    for (const concurrency of [1, 2]) {
      const gated = held();
      // Calls of the size limit, so none merge: each is one run.
      const embedder = new CoalescingEmbedder(gated.base, 2, concurrency);
      const calls = Promise.all([0, 1, 2, 3].map((call) => embedder.embed([`call ${call} a`, `call ${call} b`])));
      await new Promise((resolve) => setImmediate(resolve));
      expect(gated.started()).toBe(concurrency);
      await gated.releaseUntil(calls);
      expect((await calls).map((vectors) => vectors.length)).toEqual([2, 2, 2, 2]);
      expect(gated.most()).toBe(concurrency);
    }
  });
});
