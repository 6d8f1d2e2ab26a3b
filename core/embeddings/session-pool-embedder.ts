import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { PreTrainedTokenizer } from "@huggingface/transformers";
import { metrics } from "../metrics/index.js";
import { EmbeddingModelUnavailableError } from "./errors.js";
import { LocalModelEmbedder } from "./local-model-embedder.js";
import { weightsFile } from "./model-files.js";
import { sessionWorkerSource } from "./session-worker-source.js";
import { importTransformers } from "./transformers-embedder.js";

export interface SessionPoolEmbedderOptions {
  /** Model id, a folder under `modelDir` (e.g. Xenova/all-MiniLM-L6-v2). */
  model: string;
  modelDir: string;
  dtype: "fp32" | "q8";
  batchSize: number;
  /** Worker threads, one single-threaded model session each. */
  sessions: number;
  dimension?: number;
  maxTokens?: number;
}

interface Reply {
  id?: number;
  vectors?: Float32Array;
  size?: number;
  /** The batch's time in the worker, from the start of its run. */
  seconds?: number;
  error?: string;
  ready?: boolean;
  failed?: string;
}

/** One worker thread and the batches sent to it, which it runs in order. */
class SessionWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  readonly ready: Promise<void>;
  /** Why the thread is gone, once it is: a dead worker answers nothing, so it must never be sent a batch. */
  dead: Error | undefined;
  private exitCode: number | undefined;
  private nextId = 0;

  constructor(runtime: string, modelPath: string) {
    this.worker = new Worker(sessionWorkerSource, { eval: true, workerData: { runtime, modelPath } });
    // Idle workers must not keep the process alive; a worker running a batch is ref'd (see run).
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.once("error", reject);
      this.worker.once("exit", (code) => reject(new Error(`the model worker exited with code ${code}`)));
      this.worker.on("message", (reply: Reply) => {
        if (reply.ready) return resolve();
        if (reply.failed !== undefined) return reject(new Error(reply.failed));
        const pending = reply.id === undefined ? undefined : this.pending.get(reply.id);
        if (reply.id !== undefined) this.pending.delete(reply.id);
        if (pending && this.pending.size === 0) this.worker.unref();
        if (reply.error !== undefined) pending?.reject(new Error(reply.error));
        else pending?.resolve(reply);
      });
    });
    this.worker.on("error", (error) => this.die(error));
    this.worker.on("exit", (code) => {
      this.exitCode = code;
      this.die(new Error(`the model worker exited with code ${code}`));
    });
  }

  /** Batches sent and not yet answered. */
  get load(): number {
    return this.pending.size;
  }

  run(ids: BigInt64Array, mask: BigInt64Array, rows: number, width: number): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    // A worker with batches to answer keeps the process alive; an idle one must not.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<Reply>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ids, mask, rows, width }, [ids.buffer as ArrayBuffer, mask.buffer as ArrayBuffer]);
    });
  }

  /**
   * Ends the thread, resolving with its exit code: asked first to finish its batch, release its session
   * and exit (code 0), and terminated (code 1) only if it has not within `graceMs`. A thread terminated while onnxruntime's objects are alive can
   * abort the whole process from their finalizers ("terminate called after throwing an instance of
   * 'Napi::Error'": it killed a test worker once in a full run).
   */
  async terminate(graceMs = 5_000): Promise<number | undefined> {
    this.dead ??= new Error("the model worker was closed");
    if (this.exitCode !== undefined) return this.exitCode;
    const exited = new Promise<number>((resolve) => this.worker.once("exit", resolve));
    this.worker.postMessage({ close: true });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), graceMs);
    });
    try {
      const ended = await Promise.race([exited, late]);
      return ended === "late" ? await this.worker.terminate() : ended;
    } finally {
      clearTimeout(timer);
    }
  }

  private die(error: Error): void {
    this.dead ??= error;
    for (const pending of this.pending.values()) pending.reject(this.dead);
    this.pending.clear();
  }
}

/** Batches a worker holds at once: the one it runs and the next. */
const batchesPerWorker = 2;

interface Sessions {
  tokenizer: PreTrainedTokenizer;
  workers: SessionWorker[];
}

/**
 * The model in several worker threads, each an onnxruntime session with one intra-op thread, the
 * batches of a call spread over them; texts are tokenised here, on the calling thread, while the
 * workers run. One session with a thread per core spends part of every operator waiting for its
 * threads to meet; separate sessions never wait for each other, which `npm run bench -- embed`
 * measured at 1.22× one two-thread session on two cores (docs/performance.md). Vectors equal
 * TransformersEmbedder's: same tokenizer, same graph, same pooling.
 */
export class SessionPoolEmbedder extends LocalModelEmbedder {
  private sessions: Promise<Sessions> | undefined;
  /**
   * The workers of the sessions now loaded (an older, stopped set's deaths must not stop a newer one),
   * each with the batches handed to it and not yet answered.
   */
  private current = new Map<SessionWorker, number>();
  /** Batches waiting for a worker with room. */
  private queue: { resolve: (worker: SessionWorker) => void; reject: (error: Error) => void }[] = [];

  constructor(private readonly options: SessionPoolEmbedderOptions) {
    super(options);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const { tokenizer } = await this.load();
    // Batches of similar length pad less (see TransformersEmbedder); the longest go first, so the
    // last batch to finish is a short one and no worker idles long at the end of a call.
    const order = texts.map((_, index) => index);
    order.sort((left, right) => (texts[right]?.length ?? 0) - (texts[left]?.length ?? 0));
    const vectors = new Array<Float32Array>(texts.length);
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += this.options.batchSize)
      batches.push(order.slice(start, start + this.options.batchSize));
    await Promise.all(
      batches.map(async (indices) => {
        const worker = await this.acquire();
        try {
          const batch = indices.map((index) => texts[index] ?? "");
          const inputs = tokenizer(batch, { padding: true, truncation: true });
          const [rows = 0, width = 0] = inputs.input_ids.dims;
          const reply = await worker.run(
            inputs.input_ids.data as BigInt64Array,
            inputs.attention_mask.data as BigInt64Array,
            rows,
            width,
          );
          const seconds = reply.seconds ?? 0;
          metrics.embedderBatchSeconds.observe({}, seconds);
          metrics.embedderDocuments.inc({}, batch.length);
          if (seconds > 0) metrics.embedderDocumentsPerSecond.set({}, batch.length / seconds);
          const data = reply.vectors ?? new Float32Array();
          const size = reply.size ?? this.dimension;
          indices.forEach((index, row) => {
            vectors[index] = data.slice(row * size, (row + 1) * size);
          });
        } finally {
          this.release(worker);
        }
      }),
    );
    return vectors;
  }

  async close(): Promise<void> {
    await this.stop(new Error("the embedder was closed"));
  }

  /**
   * The least busy worker with room: each holds up to `batchesPerWorker` batches, the one it runs and
   * the next, so it starts the next as soon as one ends instead of waiting for this thread to answer,
   * tokenise and send (this thread also reads rows and writes vectors during an ingestion).
   */
  private acquire(): Promise<SessionWorker> {
    let chosen: SessionWorker | undefined;
    for (const [worker, batches] of this.current)
      if (batches < batchesPerWorker && (chosen === undefined || batches < (this.current.get(chosen) ?? 0)))
        chosen = worker;
    if (chosen) {
      this.current.set(chosen, (this.current.get(chosen) ?? 0) + 1);
      return Promise.resolve(chosen);
    }
    return new Promise((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  private release(worker: SessionWorker): void {
    const batches = this.current.get(worker);
    if (batches === undefined) return;
    // A worker that died (a crash, or closed under a running call) takes the pool down with it: the
    // batches waiting for it fail now rather than hang, and the next call starts fresh sessions.
    if (worker.dead) {
      void this.stop(worker.dead);
      return;
    }
    const next = this.queue.shift();
    if (next) next.resolve(worker);
    else this.current.set(worker, batches - 1);
  }

  /** Ends every session and fails the batches waiting for one; the next call loads again. */
  private async stop(reason: Error): Promise<void> {
    const sessions = this.sessions;
    this.sessions = undefined;
    this.current = new Map();
    const waiting = this.queue;
    this.queue = [];
    for (const waiter of waiting) waiter.reject(reason);
    const loaded = await sessions?.catch(() => undefined);
    await Promise.all(loaded?.workers.map((worker) => worker.terminate()) ?? []);
  }

  protected load(): Promise<Sessions> {
    if (!this.sessions) {
      const sessions: Promise<Sessions> = this.start().then(
        async (loaded) => {
          // Stopped while loading: these workers are ended here and never handed out.
          if (this.sessions !== sessions) {
            await Promise.all(loaded.workers.map((worker) => worker.terminate()));
            throw new Error("the embedder was closed while loading");
          }
          this.current = new Map(loaded.workers.map((worker) => [worker, 0]));
          return loaded;
        },
        (error: unknown) => {
          if (this.sessions === sessions) this.sessions = undefined;
          throw new EmbeddingModelUnavailableError(this.model, error);
        },
      );
      this.sessions = sessions;
    }
    return this.sessions;
  }

  private async start(): Promise<Sessions> {
    const { AutoTokenizer } = await importTransformers({ modelDir: this.options.modelDir, allowRemote: false });
    const tokenizer = await AutoTokenizer.from_pretrained(this.model);
    const modelPath = weightsFile(this.options.modelDir, this.model, this.options.dtype);
    const runtime = createRequire(import.meta.url).resolve("onnxruntime-node");
    const workers = Array.from({ length: this.options.sessions }, () => new SessionWorker(runtime, modelPath));
    try {
      await Promise.all(workers.map((worker) => worker.ready));
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return { tokenizer, workers };
  }
}
