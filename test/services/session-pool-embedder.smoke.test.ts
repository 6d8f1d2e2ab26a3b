import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.js";
import { sessionCount } from "../../core/embeddings/create-embedder.js";
import {
  EmbeddingModelUnavailableError,
  SessionPoolEmbedder,
  TransformersEmbedder,
} from "../../core/embeddings/index.js";
import { testSettings } from "../support/services.js";

const largestDifference = (left: Float32Array, right: Float32Array) =>
  left.reduce((largest, value, index) => Math.max(largest, Math.abs(value - (right[index] ?? 0))), 0);

describe("the worker-session embedder (all-MiniLM-L6-v2 in worker threads)", () => {
  const settings = testSettings();
  const options = {
    model: settings.EMBEDDING_MODEL,
    modelDir: settings.EMBEDDING_MODEL_DIR,
    dtype: settings.EMBEDDING_DTYPE,
    batchSize: 3,
  };
  const pool = new SessionPoolEmbedder({ ...options, sessions: 2 });
  const inProcess = new TransformersEmbedder({ ...options, allowRemote: false });
  afterAll(async () => {
    await pool.close();
    await inProcess.close();
  });

  // Lengths out of order over several batches of 3 on two sessions, with an empty text and one past
  // the model's window, so sorting, padding, truncation and the return order are all exercised.
  const texts = [
    ...Array.from({ length: 10 }, (_, index) => `item ${index} ${"oak shelf ".repeat((index * 7) % 11)}`),
    "",
    "word ".repeat(2_000),
    "How do I reset my password?",
  ];

  it("gives the in-process pipeline's vectors, each in its text's place", async () => {
    const [pooled, reference] = [await pool.embed(texts), await inProcess.embed(texts)];
    expect(pooled).toHaveLength(texts.length);
    pooled.forEach((vector, index) => {
      expect(vector).toHaveLength(384);
      expect(largestDifference(vector, reference[index] as Float32Array)).toBeLessThan(1e-5);
    });
    // Not trivially equal: neighbouring texts differ.
    expect(largestDifference(pooled[0] as Float32Array, pooled[1] as Float32Array)).toBeGreaterThan(1e-3);
    expect(await pool.embed([])).toEqual([]);
  });

  it("keeps concurrent calls apart", async () => {
    const [first, second] = await Promise.all([pool.embed(texts.slice(0, 7)), pool.embed(texts.slice(7))]);
    const alone = await pool.embed(texts);
    [...(first ?? []), ...(second ?? [])].forEach((vector, index) => {
      expect(largestDifference(vector, alone[index] as Float32Array)).toBeLessThan(1e-5);
    });
  });

  it("sends a worker its next batch while it runs one, and times each batch in the worker", async () => {
    const { setMeasurementSink } = await import("../../core/metrics/index.js");
    const single = new SessionPoolEmbedder({ ...options, sessions: 1 });
    try {
      await single.warmUp();
      // Reaching in to see what each batch finds on its way to the worker.
      const { sessions } = single as unknown as {
        sessions: Promise<{ workers: { load: number; run: (...args: never[]) => Promise<unknown> }[] }>;
      };
      const [worker] = (await sessions).workers;
      if (!worker) throw new Error("no worker");
      const waitingAtSend: number[] = [];
      const run = worker.run.bind(worker);
      worker.run = (...args) => {
        waitingAtSend.push(worker.load);
        return run(...args);
      };
      const batchSeconds: number[] = [];
      setMeasurementSink({
        record: (name, _unit, _labels, value) => {
          if (name === "cwd_embedder_batch_duration_seconds") batchSeconds.push(value);
        },
      });
      const started = performance.now();
      const vectors = await single.embed(texts);
      const elapsed = (performance.now() - started) / 1000;
      expect(vectors).toHaveLength(texts.length);
      // Five batches of three: every one after the first was sent while another was still unanswered.
      expect(waitingAtSend).toEqual([0, 1, 1, 1, 1]);
      // Timed in the worker, the batches add up to no more than the call took; timed here, each
      // would also count its wait behind the batch before it, and they would add up to nearly twice.
      expect(batchSeconds).toHaveLength(5);
      const total = batchSeconds.reduce((sum, seconds) => sum + seconds, 0);
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(elapsed);
    } finally {
      setMeasurementSink(undefined);
      await single.close();
    }
  });

  it("counts tokens as the in-process embedder does", async () => {
    expect(await pool.countTokens(texts)).toEqual(await inProcess.countTokens(texts));
  });

  it("starts again after close", async () => {
    const again = new SessionPoolEmbedder({ ...options, sessions: 1 });
    try {
      const [before] = await again.embed(["a walnut desk"]);
      await again.close();
      const [after] = await again.embed(["a walnut desk"]);
      expect(largestDifference(before as Float32Array, after as Float32Array)).toBeLessThan(1e-6);
    } finally {
      await again.close();
    }
  });

  it("fails a call whose worker died instead of hanging, and starts fresh sessions for the next", async () => {
    const fragile = new SessionPoolEmbedder({ ...options, sessions: 2 });
    try {
      await fragile.warmUp();
      // Reaching in is the only way to kill a thread from outside; a crash in onnxruntime ends it alike.
      const { sessions } = fragile as unknown as {
        sessions: Promise<{ workers: { terminate(): Promise<number | undefined> }[] }>;
      };
      // Code 0: the thread released its session and ended itself, instead of being torn down under
      // onnxruntime (which can abort the whole process from a finalizer).
      expect(await (await sessions).workers[0]?.terminate()).toBe(0);
      await expect(fragile.embed(texts)).rejects.toThrow(/model worker/);
      const again = await fragile.embed(texts);
      const reference = await inProcess.embed(texts);
      again.forEach((vector, index) => {
        expect(largestDifference(vector, reference[index] as Float32Array)).toBeLessThan(1e-5);
      });
    } finally {
      await fragile.close();
    }
  });

  it("reports a missing model as unavailable, naming the model", async () => {
    const missing = new SessionPoolEmbedder({ ...options, model: "nobody/no-such-model", sessions: 2 });
    await expect(missing.embed(["text"])).rejects.toBeInstanceOf(EmbeddingModelUnavailableError);
    await expect(missing.embed(["text"])).rejects.toThrow(/no-such-model/);
    await missing.close();
  });
});

describe("how many worker sessions run", () => {
  const settingsWith = (env: Record<string, string>) => loadConfig({ env: { NODE_ENV: "test", ...env } });

  it("takes EMBEDDING_SESSIONS as given, 0 meaning the in-process session", () => {
    expect(sessionCount(settingsWith({ EMBEDDING_SESSIONS: "3" }))).toBe(3);
    expect(sessionCount(settingsWith({ EMBEDDING_SESSIONS: "0" }))).toBe(0);
  });

  it("keeps the in-process session for a model fetched from the hub", () => {
    expect(sessionCount(settingsWith({ EMBEDDING_SESSIONS: "2", EMBEDDING_ALLOW_REMOTE: "true" }))).toBe(0);
  });

  it("with auto, runs one per core on two or more cores", async () => {
    const { availableParallelism } = await import("node:os");
    const cores = availableParallelism();
    expect(sessionCount(settingsWith({}))).toBe(cores >= 2 ? cores : 0);
  });

  it("refuses a count that is not a number", () => {
    expect(() => settingsWith({ EMBEDDING_SESSIONS: "many" })).toThrow(/EMBEDDING_SESSIONS/);
  });
});
