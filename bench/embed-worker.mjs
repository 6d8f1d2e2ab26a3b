// One onnxruntime session with one intra-op thread, in a worker thread: the "worker threads"
// side of the embed-workers benchmark. Receives tokenized batches, answers when each has run.
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";

const session = await ort.InferenceSession.create(workerData.modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
parentPort.postMessage({ ready: true });
parentPort.on("message", async ({ ids, mask, dims }) => {
  const feeds = {
    input_ids: new ort.Tensor("int64", ids, dims),
    attention_mask: new ort.Tensor("int64", mask, dims),
    token_type_ids: new ort.Tensor("int64", new BigInt64Array(ids.length), dims),
  };
  await session.run(feeds);
  parentPort.postMessage({ done: true });
});
