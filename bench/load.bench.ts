import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { testServices } from "../test/support/services.js";
import { type BenchResult, expectMeasured, mb, percentile } from "./support.js";

const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
/** Long enough at full concurrency for the server's memory to reach its working size before it is measured. */
const warmUpSeconds = Number(process.env.BENCH_LOAD_WARMUP_SECONDS ?? 30);
const streamClients = Number(process.env.BENCH_LOAD_STREAM_CLIENTS ?? 50);
const searchClients = Number(process.env.BENCH_LOAD_SEARCH_CLIENTS ?? 200);
/**
 * A request slower than this counts as an error (the client gives up), so a stuck server cannot
 * stall the run. Generous: with every client busy, a request waits for all those ahead of it.
 */
const requestTimeoutMs = Number(process.env.BENCH_LOAD_TIMEOUT_MS ?? 180_000);
/** The pause between phases (see settle); the smoke test shortens it. */
const settleSeconds = Number(process.env.BENCH_LOAD_SETTLE_SECONDS ?? 6);

const root = path.resolve(import.meta.dirname, "..");

const questions = [
  "Which standing desk has a walnut top?",
  "How long does standard delivery take?",
  "Can I exchange a product for another size?",
  "Which headlamp has a red night mode?",
  "How do I return an item?",
  "What is the warranty on the office chairs?",
  "Which blender is the quietest?",
  "How do I reset my password?",
];

interface Phase {
  latencies: number[];
  errors: number;
  /** The first few distinct failures, so a figure of errors can be explained. */
  errorSamples: Set<string>;
  requests: number;
  /** From the first request to the last answer: requests in flight at the deadline are waited for. */
  seconds: number;
}

/**
 * Loopback load on the real local server in its own process (so its RSS is its own): 50 clients
 * streaming /chat/stream with the extractive provider over the sample data, then 200 clients on
 * /search, each phase BENCH_LOAD_SECONDS long after a warm-up at full concurrency. Errors are
 * non-2xx answers, socket errors and timeouts, and streams that do not end with `[DONE]` (or
 * that carry an error event). RSS is read from /proc while the phases run.
 */
export async function benchLoad(): Promise<BenchResult[]> {
  const run = `bench-load-${randomUUID().slice(0, 8)}`;
  const loadAtStart = loadavg()[0];
  const server = await startServer(run);
  const rss: { at: number; bytes: number }[] = [];
  const sampler = setInterval(() => {
    void readRss(server.process.pid).then((bytes) => bytes && rss.push({ at: performance.now(), bytes }));
  }, 1_000);
  try {
    console.log(`  warm-up: ${warmUpSeconds} s of each at full concurrency`);
    await drive(server.url, "stream", streamClients, warmUpSeconds);
    await settle();
    await drive(server.url, "search", searchClients, warmUpSeconds);
    await settle();
    const afterWarmUp = (await readRss(server.process.pid)) ?? 0;
    const started = performance.now();
    console.log(`  /chat/stream: ${streamClients} clients for ${seconds} s`);
    const stream = await drive(server.url, "stream", streamClients, seconds);
    await settle();
    console.log(`  /search: ${searchClients} clients for ${seconds} s`);
    const search = await drive(server.url, "search", searchClients, seconds);
    const atEnd = (await readRss(server.process.pid)) ?? 0;
    const measured = rss.filter((sample) => sample.at >= started).map((sample) => sample.bytes);
    for (const [name, phase] of [
      ["stream", stream],
      ["search", search],
    ] as const) {
      if (phase.errorSamples.size) console.log(`  ${name} errors, first kinds: ${[...phase.errorSamples].join(" | ")}`);
    }
    expectMeasured("load", {
      [`${stream.errors} of ${stream.requests} streams failed`]: stream.errors === 0 && stream.requests > 0,
      [`${search.errors} of ${search.requests} searches failed`]: search.errors === 0 && search.requests > 0,
    });
    const conditions = {
      seconds,
      // The machine is shared: a figure means little without how busy it was.
      load_average_1m: { start: loadAtStart, end: loadavg()[0] },
      warm_up_seconds: warmUpSeconds,
      server: "npm start's entry (functions/local/start.ts) in its own process, loopback, sample data",
      llm: "extractive",
      kafka: "in-process bus (not exercised)",
      rate_limit: "off (RATE_LIMIT_PER_MINUTE=0): this measures capacity, not the limiter",
    };
    return [
      { name: "load-chat-stream", conditions: { ...conditions, clients: streamClients }, metrics: figures(stream) },
      { name: "load-search", conditions: { ...conditions, clients: searchClients }, metrics: figures(search) },
      {
        name: "load-memory",
        conditions: {
          ...conditions,
          measure: "server VmRSS from /proc, sampled every second",
          // A leak climbs steadily; a high-water mark steps up once and stays.
          rss_every_10s_mb: measured.filter((_, index) => index % 10 === 0).map(mb),
        },
        metrics: {
          rss_after_warm_up_mb: mb(afterWarmUp),
          rss_peak_mb: mb(measured.reduce((peak, value) => Math.max(peak, value), afterWarmUp)),
          rss_end_mb: mb(atEnd),
          rss_end_vs_warm_up_pct: Math.round(((atEnd - afterWarmUp) / afterWarmUp) * 1000) / 10,
        },
      },
    ];
  } finally {
    clearInterval(sampler);
    await server.stop();
    await dropKeys(`${run}:`);
  }
}

/**
 * A pause between phases, so the first phase's stragglers and their garbage are gone before the
 * second is timed. (Idle connections no longer race: the server keeps them 65 s, the client 4 s.)
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, settleSeconds * 1_000));
}

function figures(phase: Phase): Record<string, number> {
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    requests: phase.requests,
    requests_per_second: round(phase.requests / phase.seconds),
    elapsed_s: round(phase.seconds),
    errors: phase.errors,
    p50_ms: round(percentile(phase.latencies, 0.5)),
    p95_ms: round(percentile(phase.latencies, 0.95)),
    p99_ms: round(percentile(phase.latencies, 0.99)),
    max_ms: round(phase.latencies.reduce((longest, value) => Math.max(longest, value), 0)),
  };
}

/** `clients` loops, each sending its next request as soon as the last one is read to the end. */
async function drive(url: string, kind: "stream" | "search", clients: number, durationSeconds: number): Promise<Phase> {
  const phase: Phase = { latencies: [], errors: 0, errorSamples: new Set(), requests: 0, seconds: 0 };
  const started = performance.now();
  const deadline = started + durationSeconds * 1000;
  const fail = (reason: string) => {
    phase.errors++;
    if (phase.errorSamples.size < 5) phase.errorSamples.add(reason.slice(0, 160));
  };
  const client = async (index: number) => {
    for (let turn = 0; performance.now() < deadline; turn++) {
      const question = questions[(index + turn) % questions.length] as string;
      const body =
        kind === "stream"
          ? { user_name: `load-${index}`, message: question, max_results: 5 }
          : { query: question, max_results: 5 };
      const started = performance.now();
      try {
        const response = await fetch(`${url}${kind === "stream" ? "/chat/stream" : "/search"}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        const text = await response.text();
        phase.requests++;
        phase.latencies.push(performance.now() - started);
        if (!response.ok) fail(`${response.status} ${text}`);
        else if (kind === "stream" && !text.trimEnd().endsWith("data: [DONE]"))
          fail(`stream without [DONE]: …${text.slice(-120)}`);
        else if (kind === "stream" && text.includes("event: error"))
          fail(`error event: ${text.slice(text.indexOf("event: error"))}`);
      } catch (error) {
        phase.requests++;
        const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
        fail(`${(error as Error).name}: ${(error as Error).message} (${cause?.code ?? cause?.message ?? "no cause"})`);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, index) => client(index)));
  phase.seconds = (performance.now() - started) / 1000;
  return phase;
}

async function startServer(run: string): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const log = path.join(tmpdir(), `${run}-server.log`);
  const output = createWriteStream(log);
  // node --import tsx, not npx/tsx: those wrap the server in a second process, whose RSS would be measured instead.
  const child = spawn(process.execPath, ["--import", "tsx", "functions/local/start.ts"], {
    cwd: root,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      LLM_PROVIDER: "extractive",
      REDIS_URL: testServices.redisUrl,
      REDIS_KEY_PREFIX: `${run}:`,
      CHROMA_URL: testServices.chromaUrl,
      KAFKA_BROKERS: "",
      RATE_LIMIT_PER_MINUTE: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(output);
  child.stderr?.pipe(output);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
    output.end();
  };
  // The first start ingests the samples into an empty store; later ones find them there.
  const ready = performance.now() + 300_000;
  while (performance.now() < ready) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}); see ${log}`);
    const health = await fetch(`${url}/health`).catch(() => undefined);
    if (health?.ok) return { url, process: child, stop };
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  await stop();
  throw new Error(`the server was not healthy within 5 minutes; see ${log}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function readRss(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kilobytes = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kilobytes === undefined ? undefined : Number(kilobytes) * 1024;
}

/** The chat history the run wrote, under its own prefix. */
async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(testServices.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
