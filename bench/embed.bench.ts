import path from "node:path";
import { Worker } from "node:worker_threads";
import { AutoTokenizer } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { loadConfig } from "../core/config/index.js";
import { sessionCount } from "../core/embeddings/create-embedder.js";
import { CoalescingEmbedder, createEmbedder, type Embedder, TransformersEmbedder } from "../core/embeddings/index.js";
import { type BenchResult, expectMeasured, machineConditions, median } from "./support.js";

const modelDir = ".services/models";
const model = "Xenova/all-MiniLM-L6-v2";
const batchSize = Number(process.env.BENCH_BATCH ?? 32);
const texts = Number(process.env.BENCH_TEXTS ?? 512);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

/** About 60 tokens each, like a product row with a description. */
export function sampleTexts(count: number): string[] {
  return Array.from(
    { length: count },
    (_, n) =>
      `name: Kestrel hiking backpack ${n}\ncategory: Outdoor\ndescription: A ${20 + (n % 40)} litre hiking backpack with a rain cover, a ventilated aluminium back panel, hip belt pockets and a hydration sleeve; ships in ${1 + (n % 9)} days.`,
  );
}

/**
 * Mixed lengths, like a table's chunks: mostly short rows, some long descriptions up to the
 * 256-token chunk limit, in no particular order.
 */
export function mixedTexts(count: number): string[] {
  return Array.from({ length: count }, (_, n) => {
    const words = 6 + ((n * 37) % 97) * ((n % 5) + 1) * 0.4;
    return `ticket ${n}: ${"the standing desk wobbles at full height ".repeat(Math.ceil(words / 7))}`;
  });
}

/** Floating-point operations per token of a BERT encoder: Q, K, V and output projections (4·h²),
 *  the feed-forward block (8·h²) and attention over `length` tokens (2·length·h), two per multiply-add. */
export function flopsPerToken(length: number, hidden = 384, layers = 6): number {
  return layers * 2 * (12 * hidden * hidden + 2 * length * hidden);
}

/**
 * embed-bare: one onnxruntime session on the same model file and batch size, fed by the same
 * tokenizer, with mean pooling done by hand — the physical reference. embed: the project's embedder
 * as the defaults build it (worker sessions on two or more cores); embed-in-process: transformers.js'
 * pipeline on one session, what EMBEDDING_SESSIONS=0 runs.
 */
export async function benchEmbedding(): Promise<BenchResult[]> {
  const inputs = sampleTexts(texts);
  const settings = loadConfig({
    env: { EMBEDDING_MODEL: model, EMBEDDING_MODEL_DIR: modelDir, EMBEDDING_BATCH_SIZE: String(batchSize) },
  });
  const sessions = sessionCount(settings);
  const embedder = createEmbedder(settings);
  const inProcess = new TransformersEmbedder({ model, modelDir, dtype: "fp32", batchSize, allowRemote: false });
  // Loading the embedder points transformers.js at the local model folder, for the tokenizer too.
  await inProcess.warmUp();
  await embedder.warmUp();
  const tokenizer = await AutoTokenizer.from_pretrained(model, { local_files_only: true });
  const session = await ort.InferenceSession.create(path.join(modelDir, model, "onnx", "model.onnx"), {
    intraOpNumThreads: 2,
  });

  const bare = async () => {
    for (let start = 0; start < inputs.length; start += batchSize) {
      const batch = inputs.slice(start, start + batchSize);
      const encoded = tokenizer(batch, { padding: true, truncation: true, max_length: 256 });
      const feeds = {
        input_ids: new ort.Tensor("int64", encoded.input_ids.data, encoded.input_ids.dims),
        attention_mask: new ort.Tensor("int64", encoded.attention_mask.data, encoded.attention_mask.dims),
        token_type_ids: new ort.Tensor(
          "int64",
          new BigInt64Array(encoded.input_ids.data.length),
          encoded.input_ids.dims,
        ),
      };
      const output = await session.run(feeds);
      meanPool(output.last_hidden_state as ort.Tensor, encoded.attention_mask.data as BigInt64Array);
    }
  };

  const first = await embedder.embed(inputs.slice(0, batchSize));
  expectMeasured("embed", {
    [`${first.length} vectors of ${first[0]?.length} dimensions for ${Math.min(batchSize, inputs.length)} texts`]:
      first.length === Math.min(batchSize, inputs.length) && first[0]?.length === 384,
  });
  await bare();

  /**
   * Median texts/s of each contender, rounds interleaved (A B C, A B C, …): load on a shared
   * machine drifts over minutes, and interleaving gives every contender the same drift.
   */
  const timeInterleaved = async (contenders: Record<string, { texts: number; work: () => Promise<unknown> }>) => {
    const rates = new Map<string, number[]>(Object.keys(contenders).map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, { texts: count, work }] of Object.entries(contenders)) {
        const started = performance.now();
        await work();
        rates.get(name)?.push(count / ((performance.now() - started) / 1000));
      }
    }
    return Object.fromEntries([...rates].map(([name, values]) => [name, Math.round(median(values) * 10) / 10]));
  };
  // Two worker threads, one single-threaded session each, fed alternate batches.
  const modelPath = path.resolve(modelDir, model, "onnx", "model.onnx");
  const workers = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<Worker>((resolve) => {
          const worker = new Worker(new URL("./embed-worker.mjs", import.meta.url), { workerData: { modelPath } });
          worker.once("message", () => resolve(worker));
        }),
    ),
  );
  const runOn = (worker: Worker, batch: string[]) =>
    new Promise<void>((resolve) => {
      const encoded = tokenizer(batch, { padding: true, truncation: true, max_length: 256 });
      worker.once("message", () => resolve());
      worker.postMessage({
        ids: encoded.input_ids.data,
        mask: encoded.attention_mask.data,
        dims: encoded.input_ids.dims,
      });
    });
  const viaWorkers = async () => {
    const lanes = workers.map(async (worker, lane) => {
      for (let start = lane * batchSize; start < inputs.length; start += batchSize * workers.length) {
        await runOn(worker, inputs.slice(start, start + batchSize));
      }
    });
    await Promise.all(lanes);
  };
  await viaWorkers();

  // Mixed lengths in calls of 4 batches, as the ingestion pipeline makes them: batching by length against input order.
  const mixed = mixedTexts(Math.max(16, Math.round(texts / 2)));
  const inOrder = new TransformersEmbedder({
    model,
    modelDir,
    dtype: "fp32",
    batchSize,
    allowRemote: false,
    sortByLength: false,
  });
  const inCalls = (target: Embedder) => async () => {
    for (let start = 0; start < mixed.length; start += batchSize * 4)
      await target.embed(mixed.slice(start, start + batchSize * 4));
  };
  await inCalls(inOrder)();

  // Many requests embedding one short query each at the same moment, as searches under load do:
  // straight to the model (concurrent runs), or merged into shared runs.
  const queries = Array.from({ length: 64 }, (_, n) => `which backpack has a rain cover, question ${n}`);
  const coalescing = new CoalescingEmbedder(inProcess, batchSize * 4);
  const concurrently = (target: { embed(texts: string[]): Promise<unknown> }) => () =>
    Promise.all(queries.map((query) => target.embed([query])));

  const rate = await timeInterleaved({
    bare: { texts: inputs.length, work: bare },
    embed: { texts: inputs.length, work: () => embedder.embed(inputs) },
    inProcess: { texts: inputs.length, work: () => inProcess.embed(inputs) },
    workers: { texts: inputs.length, work: viaWorkers },
    mixedInOrder: { texts: mixed.length, work: inCalls(inOrder) },
    mixedByLength: { texts: mixed.length, work: inCalls(inProcess) },
    mixedProject: { texts: mixed.length, work: inCalls(embedder) },
    queriesAlone: { texts: queries.length, work: concurrently(inProcess) },
    queriesMerged: { texts: queries.length, work: concurrently(coalescing) },
  });
  const [bareRate, embedRate, workersRate, mixedInOrder, mixedByLength] = [
    rate.bare ?? 0,
    rate.embed ?? 0,
    rate.workers ?? 0,
    rate.mixedInOrder ?? 0,
    rate.mixedByLength ?? 0,
  ];
  expectMeasured("embed", {
    [`every contender measured a positive rate: ${JSON.stringify(rate)}`]: Object.values(rate).every(
      (value) => value > 0,
    ),
  });
  await Promise.all(workers.map((worker) => worker.terminate()));
  await embedder.close();
  await inProcess.close();
  await inOrder.close();
  const tokens = tokenizer(inputs.slice(0, 1)).input_ids.dims.at(-1) ?? 0;
  const mixedTokens = mixed.map(
    (text) => tokenizer(text, { truncation: true, max_length: 256 }).input_ids.dims.at(-1) ?? 0,
  );
  // What the model's arithmetic costs at the bare rate, and what 20,000 documents a minute would need.
  const gflops = (rate: number) => Math.round((rate * tokens * flopsPerToken(tokens)) / 1e8) / 10;
  const conditions = {
    texts: inputs.length,
    batchSize,
    rounds,
    tokensPerText: tokens,
    dtype: "fp32",
    intraOpThreads: 2,
    ...machineConditions(),
  };
  return [
    {
      name: "embed-bare",
      conditions,
      metrics: {
        texts_per_second: bareRate,
        gflops_per_second: gflops(bareRate),
        gflops_per_second_for_20000_per_minute: gflops(20_000 / 60),
      },
    },
    {
      name: "embed",
      conditions: {
        ...conditions,
        sessions,
        intraOpThreads: sessions > 0 ? 1 : 2,
        sessionBatchSize: sessions > 0 ? settings.EMBEDDING_SESSION_BATCH_SIZE : batchSize,
        textsPerCall: inputs.length,
      },
      metrics: {
        texts_per_second: embedRate,
        ratio_to_bare: Math.round((embedRate / bareRate) * 100) / 100,
        mixed_texts_per_second: rate.mixedProject ?? 0,
        mixed_ratio_to_in_process: Math.round(((rate.mixedProject ?? 0) / mixedByLength) * 100) / 100,
      },
    },
    {
      name: "embed-in-process",
      conditions,
      metrics: {
        texts_per_second: rate.inProcess ?? 0,
        ratio_to_bare: Math.round(((rate.inProcess ?? 0) / bareRate) * 100) / 100,
      },
    },
    {
      name: "embed-mixed",
      conditions: {
        texts: mixed.length,
        batchSize,
        textsPerCall: batchSize * 4,
        tokensPerText: { min: Math.min(...mixedTokens), median: median(mixedTokens), max: Math.max(...mixedTokens) },
      },
      metrics: {
        texts_per_second_by_length: mixedByLength,
        texts_per_second_in_order: mixedInOrder,
        speedup: Math.round((mixedByLength / mixedInOrder) * 100) / 100,
      },
    },
    {
      name: "embed-concurrent",
      conditions: { concurrentCalls: queries.length, textsPerCall: 1, batchSize },
      metrics: {
        queries_per_second_merged: rate.queriesMerged ?? 0,
        queries_per_second_alone: rate.queriesAlone ?? 0,
        speedup: Math.round(((rate.queriesMerged ?? 0) / (rate.queriesAlone ?? 1)) * 100) / 100,
      },
    },
    {
      name: "embed-workers",
      conditions: { ...conditions, workers: workers.length, intraOpThreads: 1 },
      metrics: { texts_per_second: workersRate, ratio_to_bare: Math.round((workersRate / bareRate) * 100) / 100 },
    },
  ];
}

function meanPool(hidden: ort.Tensor, mask: BigInt64Array): Float32Array[] {
  const [batch = 0, length = 0, width = 0] = hidden.dims;
  const data = hidden.data as Float32Array;
  const vectors: Float32Array[] = [];
  for (let row = 0; row < batch; row++) {
    const vector = new Float32Array(width);
    let count = 0;
    for (let token = 0; token < length; token++) {
      if (mask[row * length + token] === 0n) continue;
      count++;
      const offset = (row * length + token) * width;
      for (let dim = 0; dim < width; dim++) vector[dim] = (vector[dim] ?? 0) + (data[offset + dim] ?? 0);
    }
    let norm = 0;
    for (let dim = 0; dim < width; dim++) {
      vector[dim] = (vector[dim] ?? 0) / Math.max(count, 1);
      norm += (vector[dim] ?? 0) ** 2;
    }
    for (let dim = 0; dim < width; dim++) vector[dim] = (vector[dim] ?? 0) / Math.sqrt(norm);
    vectors.push(vector);
  }
  return vectors;
}
