import path from "node:path";
import { Worker } from "node:worker_threads";
import { AutoTokenizer } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { TransformersEmbedder } from "../core/embeddings/index.js";
import { type BenchResult, median } from "./support.js";

const modelDir = ".services/models";
const model = "Xenova/all-MiniLM-L6-v2";
const batchSize = Number(process.env.BENCH_BATCH ?? 32);
const texts = Number(process.env.BENCH_TEXTS ?? 512);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

/** About 60 tokens each, like a product row with a description. */
export function sampleTexts(count: number): string[] {
  return Array.from(
    { length: count },
    (_, n) =>
      `name: Kestrel hiking backpack ${n}\ncategory: Outdoor\ndescription: A ${20 + (n % 40)} litre hiking backpack with a rain cover, a ventilated aluminium back panel, hip belt pockets and a hydration sleeve; ships in ${1 + (n % 9)} days.`,
  );
}

/**
 * embed-bare: one onnxruntime session on the same model file and batch size, fed by the same
 * tokenizer, with mean pooling done by hand — the physical reference. embed: the project's embedder.
 */
export async function benchEmbedding(): Promise<BenchResult[]> {
  const inputs = sampleTexts(texts);
  const embedder = new TransformersEmbedder({ model, modelDir, dtype: "fp32", batchSize, allowRemote: false });
  // Loading the embedder points transformers.js at the local model folder, for the tokenizer too.
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

  await embedder.embed(inputs.slice(0, batchSize));
  await bare();

  const time = async (work: () => Promise<unknown>) => {
    const rates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      await work();
      rates.push(inputs.length / ((performance.now() - started) / 1000));
    }
    return Math.round(median(rates) * 10) / 10;
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

  // Interleaved, so all three see the same machine load.
  const bareRate = await time(bare);
  const embedRate = await time(() => embedder.embed(inputs));
  const workersRate = await time(viaWorkers);
  await Promise.all(workers.map((worker) => worker.terminate()));
  await embedder.close();
  const tokens = tokenizer(inputs.slice(0, 1)).input_ids.dims.at(-1);
  const conditions = {
    texts: inputs.length,
    batchSize,
    rounds,
    tokensPerText: tokens,
    dtype: "fp32",
    intraOpThreads: 2,
  };
  return [
    { name: "embed-bare", conditions, metrics: { texts_per_second: bareRate } },
    {
      name: "embed",
      conditions,
      metrics: { texts_per_second: embedRate, ratio_to_bare: Math.round((embedRate / bareRate) * 100) / 100 },
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
