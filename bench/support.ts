import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import path from "node:path";

export interface BenchResult {
  name: string;
  /** What was measured and on what, so a figure never travels without its conditions. */
  conditions: Record<string, unknown>;
  metrics: Record<string, number>;
}

/**
 * The CPU a figure was measured on and the load average (1, 5, 15 min) when it was: every figure's conditions.
 * Virtual machines often name the CPU only by family ("AMD EPYC"), so its vector extensions, which decide the
 * model's speed, come too.
 */
export function machineConditions(): { cpu: string | undefined; cpu_simd: string[]; load_average: number[] } {
  return {
    cpu: cpus()[0]?.model,
    cpu_simd: simdFlags(),
    load_average: loadavg().map((value) => Math.round(value * 10) / 10),
  };
}

function simdFlags(): string[] {
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim().split(/\s+/) ?? [];
    return flags.filter((flag) => /^(avx2|avx512f|avx512_vnni|avx_vnni|amx_\w+)$/.test(flag));
  } catch {
    return [];
  }
}

/** Samples RSS every 20 ms while `work` runs; returns its result and the peak. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakRss: number }> {
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await work();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return { result, peakRss };
  } finally {
    clearInterval(timer);
  }
}

/** Polls `check` every `pollMs` until it holds; throws naming `label` after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  label: string,
  pollMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`timed out waiting for ${label}`);
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

export const median = (values: readonly number[]) => percentile(values, 0.5);
export const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * Thrown when a benchmark did not measure what it names (a request failed, a count is short):
 * bench/run.ts reports it, keeps the other benchmarks' results and exits non-zero.
 */
export class BenchIncompleteError extends Error {
  override name = "BenchIncompleteError";
}

/**
 * Throws a BenchIncompleteError naming every check that does not hold.
 * @example expectMeasured("ingest", { [`ingested ${summary.documents} of ${rows} rows`]: summary.documents === rows })
 */
export function expectMeasured(bench: string, checks: Record<string, boolean>): void {
  const failed = Object.entries(checks)
    .filter(([, holds]) => !holds)
    .map(([label]) => label);
  if (failed.length) throw new BenchIncompleteError(`${bench} did not measure what it names: ${failed.join("; ")}`);
}

/** The metrics of `result` that are not finite numbers (NaN from an empty sample, Infinity from a zero time). */
export function invalidMetrics(result: BenchResult): string[] {
  return Object.entries(result.metrics)
    .filter(([, value]) => typeof value !== "number" || !Number.isFinite(value))
    .map(([metric, value]) => `${result.name}.${metric} = ${value}`);
}

/** Where results go: bench/results, or BENCH_RESULTS_DIR (the smoke test's tiny runs must not overwrite real figures). */
export function resultsFolder(): string {
  return path.resolve(process.env.BENCH_RESULTS_DIR ?? path.join(import.meta.dirname, "results"));
}

/** Writes <results folder>/<name>.json and prints a markdown row per metric. */
export function report(results: BenchResult[]): void {
  const folder = resultsFolder();
  mkdirSync(folder, { recursive: true });
  const machine = { cpus: availableParallelism(), node: process.version, date: new Date().toISOString() };
  for (const result of results) {
    writeFileSync(path.join(folder, `${result.name}.json`), `${JSON.stringify({ ...result, machine }, null, 2)}\n`);
  }
  console.log("\n| benchmark | metric | value |\n| --- | --- | --- |");
  for (const result of results) {
    for (const [metric, value] of Object.entries(result.metrics))
      console.log(`| ${result.name} | ${metric} | ${value} |`);
  }
}
