import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { functionUrlEvent, httpApiEvent, mskEvent } from "../test/support/lambda.js";
import {
  bundleEnvironment,
  type FunctionConfig,
  handlerEntry,
  packageFunctions,
  serverlessFunctions,
} from "../test/support/serverless-package.js";
import { testServices } from "../test/support/services.js";
import { type BenchResult, expectMeasured, mb, median } from "./support.js";

const run = promisify(execFile);
/** Cold starts per function; each is a fresh Node process. */
const runs = Number(process.env.BENCH_COLDSTART_RUNS ?? 10);
/** Comma-separated function names (serverless.yml's) to measure; unset: every function. */
const only = process.env.BENCH_COLDSTART_FUNCTIONS?.split(",").filter(Boolean);
/** BENCH_COLDSTART_KEEP=1 keeps the packaged bundles, with a CPU profile of each run beside its bundle. */
const keep = process.env.BENCH_COLDSTART_KEEP === "1";

/** Runs the bundle's handler once on `event` and prints a line when it answered (the runtime's stand-in). */
const invoker = `const [file, event, exported] = process.argv.slice(2);
if (process.env.LAMBDA_STREAMING === "1") {
  const { Writable } = await import("node:stream");
  globalThis.awslambda = {
    streamifyResponse: (fn) => async (event, context) => {
      const sink = new Writable({ write(_chunk, _encoding, callback) { callback(); } });
      sink.setContentType = () => {};
      await fn(event, sink, context);
      return { streamed: true };
    },
    HttpResponseStream: { from: (stream) => stream },
  };
}
const handler = (await import(file))[exported];
const result = await handler(JSON.parse(event), { awsRequestId: "coldstart", functionName: "coldstart" });
process.stdout.write("\\nANSWERED " + (result?.statusCode ?? "ok") + "\\n");
process.exit(0);`;

/** The event a function's first route (or its topic, or its URL) would get: the cheapest call it answers. */
function eventFor(config: FunctionConfig): unknown {
  const http = config.events?.find((event) => event.httpApi)?.httpApi;
  if (http) {
    const concrete = http.path.replace(/\{[^}]+\}/g, "x");
    return httpApiEvent({
      method: http.method.toUpperCase(),
      path: concrete,
      route: http.path,
      ...(http.method.toUpperCase() === "GET" ? {} : { body: "{}" }),
    });
  }
  const kafka = config.events?.find((event) => event.kafka)?.kafka;
  if (kafka) return mskEvent(kafka.topic, []);
  if (config.url) return functionUrlEvent({ method: "POST", path: "/", body: "{}" });
  return { "detail-type": "Scheduled Event", source: "aws.events", detail: {} };
}

/** Milliseconds from spawning Node to the handler's first answer. */
function coldStart(file: string, exported: string, event: unknown, env: NodeJS.ProcessEnv, cwd: string) {
  return new Promise<number>((resolve, reject) => {
    const started = performance.now();
    const profile = keep ? ["--cpu-prof", "--cpu-prof-interval", "200", "--cpu-prof-dir", cwd] : [];
    const child = spawn(
      "node",
      [...profile, path.join(cwd, "..", "invoke.mjs"), file, JSON.stringify(event), exported],
      {
        cwd,
        env,
      },
    );
    let output = "";
    let answered: number | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (answered === undefined && output.includes("\nANSWERED ")) answered = performance.now() - started;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", () =>
      answered === undefined ? reject(new Error(`no answer: ${output.slice(-400)}`)) : resolve(answered),
    );
  });
}

/**
 * Issue 19's cold-start benchmark: each deployed function's bundle (`serverless package`'s zip),
 * its size zipped and unzipped, and the time from a fresh Node process to the handler's first
 * answer to a Lambda-shaped event, median of BENCH_COLDSTART_RUNS runs. Embedding functions get
 * the layer (NODE_PATH and the model folder) as Lambda would give it; the others run without it.
 */
export async function benchColdstart(): Promise<BenchResult[]> {
  const functions = await serverlessFunctions();
  const out = await mkdtemp(path.join(tmpdir(), "cwd-coldstart-"));
  try {
    await packageFunctions(path.join(out, "package"), "bench");
    await writeFile(path.join(out, "invoke.mjs"), invoker);

    const metrics: Record<string, number> = {};
    const names = Object.keys(functions).filter((name) => !only || only.includes(name));
    for (const name of names) {
      const definition = functions[name] as FunctionConfig;
      const zip = path.join(out, "package", `${name}.zip`);
      const folder = path.join(out, name);
      await run("unzip", ["-q", "-o", zip, "-d", folder]);
      const listing = (await run("unzip", ["-Zt", zip])).stdout;
      const withLayer = Boolean(definition.layers?.length);
      const { file, exported } = handlerEntry(folder, definition.handler);
      const processEnv: NodeJS.ProcessEnv = {
        ...bundleEnvironment({
          topicPrefix: "bench-coldstart.",
          redisPrefix: "bench-coldstart:",
          streaming: Boolean(definition.url),
          withLayer,
          scratch: out,
        }),
        SEARCH_DATABASE_URL: testServices.searchUrl,
      };
      const times: number[] = [];
      for (let attempt = 0; attempt < runs; attempt++)
        times.push(await coldStart(file, exported, eventFor(definition), processEnv, folder));
      metrics[`${name}_zipped_mb`] = mb((await stat(zip)).size);
      metrics[`${name}_unzipped_mb`] = mb(Number(/(\d+) bytes uncompressed/.exec(listing)?.[1]));
      metrics[`${name}_first_response_p50_ms`] = Math.round(median(times));
      console.log(
        `  ${name}: ${metrics[`${name}_zipped_mb`]} MB zipped, ${metrics[`${name}_unzipped_mb`]} MB unzipped, first answer p50 ${metrics[`${name}_first_response_p50_ms`]} ms${withLayer ? " (with the embedding layer)" : ""}`,
      );
    }
    expectMeasured("coldstart", { [`measured ${names.length} functions`]: names.length > 0 });
    return [
      {
        name: "coldstart",
        conditions: {
          what: "each serverless.yml function's bundle run in a fresh Node process on a Lambda-shaped event (its first route, an empty Kafka batch, or its function URL); time to the handler's answer",
          runs_per_function: runs,
          layer: "embedding functions get NODE_PATH and EMBEDDING_MODEL_DIR of the built layer; others none",
          node: process.version,
          services: "the local ones on loopback",
        },
        metrics,
      },
    ];
  } finally {
    if (keep) console.log(`  coldstart: bundles kept in ${out}`);
    else await rm(out, { recursive: true, force: true });
  }
}
