/**
 * The body of one model worker thread, run with `new Worker(source, { eval: true })`: a string, so a
 * bundled function ships no second file, and CommonJS, since an evaluated worker is a script.
 * It holds one onnxruntime session with one intra-op thread, takes token ids, and answers each batch
 * with its mean-pooled, L2-normalised vectors (what transformers.js' feature-extraction pipeline
 * computes with `pooling: "mean", normalize: true`), so only 384 floats a text cross threads, and
 * the seconds the batch took here (not counting its wait behind the batch before it).
 * workerData: { runtime: resolved path of onnxruntime-node, modelPath: the .onnx file }.
 */
export const sessionWorkerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const ort = require(workerData.runtime);
const message = (error) => (error && error.message) || String(error);

async function main() {
  const session = await ort.InferenceSession.create(workerData.modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const typed = session.inputNames.includes("token_type_ids");
  // Batches run one after another: the parent sends the next one before this one ends, so the
  // session never waits for the parent's thread, and two runs at once would fight for one core.
  // A close waits for the batches before it, then releases the session they ran on.
  let running = Promise.resolve();
  parentPort.on("message", (request) => {
    if (request.close) {
      running.then(() => session.release()).finally(() => process.exit(0));
      return;
    }
    running = running.then(() => run(request));
  });
  async function run({ id, ids, mask, rows, width }) {
    const started = performance.now();
    try {
      const dims = [rows, width];
      const feeds = {
        input_ids: new ort.Tensor("int64", ids, dims),
        attention_mask: new ort.Tensor("int64", mask, dims),
      };
      if (typed) feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(ids.length), dims);
      const outputs = await session.run(feeds);
      const hidden = outputs.last_hidden_state || outputs[session.outputNames[0]];
      const size = hidden.dims[2];
      const data = hidden.data;
      const vectors = new Float32Array(rows * size);
      for (let row = 0; row < rows; row++) {
        const vector = vectors.subarray(row * size, (row + 1) * size);
        let count = 0;
        for (let token = 0; token < width; token++) {
          if (mask[row * width + token] === 0n) continue;
          count++;
          const offset = (row * width + token) * size;
          for (let dim = 0; dim < size; dim++) vector[dim] += data[offset + dim];
        }
        let norm = 0;
        for (let dim = 0; dim < size; dim++) {
          vector[dim] /= Math.max(count, 1);
          norm += vector[dim] * vector[dim];
        }
        norm = Math.max(Math.sqrt(norm), 1e-12);
        for (let dim = 0; dim < size; dim++) vector[dim] /= norm;
      }
      for (const output of Object.values(outputs)) output.dispose?.();
      const seconds = (performance.now() - started) / 1000;
      parentPort.postMessage({ id, vectors, size, seconds }, [vectors.buffer]);
    } catch (error) {
      parentPort.postMessage({ id, error: message(error) });
    }
  }
  parentPort.postMessage({ ready: true });
}

main().catch((error) => parentPort.postMessage({ failed: message(error) }));
`;
