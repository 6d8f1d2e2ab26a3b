// `npm run bench -- peers` (issue 22, item 1): the same PostgreSQL tables embedded with
// all-MiniLM-L6-v2 into the same Chroma by this project and by what a user would pick instead,
// each in a process of its own. Method and figures: docs/performance-peers.md.
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { AutoTokenizer, env } from "@huggingface/transformers";
import pg from "pg";
import { createChromaClient, VectorStore } from "../core/vectors/index.js";
import { testServices } from "../test/support/services.js";
import { mixedTexts, sampleTexts } from "./embed.bench.js";
import type { PeerConfig, PeerResult } from "./peers/protocol.js";
import { ensureInstalled, MemoryCapError, type PeerName, peerNames, runPeer } from "./peers/run-peer.js";
import { BenchIncompleteError, type BenchResult, expectMeasured, mb, median, percentile, report } from "./support.js";

const rows = Number(process.env.BENCH_PEERS_ROWS ?? 10_000);
const queries = Number(process.env.BENCH_PEERS_QUERIES ?? 100);
/** Which peers run (comma-separated); the project always runs, since every ratio is to it. */
const wanted = (process.env.BENCH_PEERS ?? peerNames.join(","))
  .split(",")
  .map((name) => name.trim())
  .filter(Boolean);
/** 0: install nothing; peers not installed yet are skipped and named in the conditions (the smoke test's mode). */
const install = process.env.BENCH_PEERS_INSTALL !== "0";
/** A peer process whose resident memory passes this is stopped and reported as such (the machine is shared). */
const memoryCapMb = Number(process.env.BENCH_PEERS_MAX_RSS_MB ?? 4_096);

const model = "Xenova/all-MiniLM-L6-v2";
const modelDir = path.resolve(import.meta.dirname, "../.services/models");
const schema = "peers";
const variants = {
  uniform: { table: "uniform", texts: sampleTexts, query: (n: number) => `a hiking backpack with a rain cover, ${n}` },
  mixed: { table: "mixed", texts: mixedTexts, query: (n: number) => `my standing desk wobbles, ticket ${n}` },
} as const;
type Variant = keyof typeof variants;
/** Rows whose vectors are compared between each peer and the project. */
const checkedRows = [0, 1, 7, 42, 99].filter((row) => row < rows);

export async function benchPeers(): Promise<BenchResult[]> {
  const unknown = wanted.filter((name) => !(peerNames as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown peer(s) ${unknown.join(", ")}; known: ${peerNames.join(", ")}`);
  const requested = peerNames.filter((name) => name === "project" || wanted.includes(name));
  const missing = ensureInstalled(requested, install);
  const peers = requested.filter((name) => !missing.includes(name));
  if (missing.length) console.log(`  not installed, skipped (BENCH_PEERS_INSTALL=0): ${missing.join(", ")}`);

  const loadAtStart = loadavg().map((value) => round(value, 2));
  const tokens = await createTables();
  const chroma = createChromaClient({
    url: testServices.chromaUrl,
    tenant: "default_tenant",
    database: "default_database",
  });
  const projectStore = new VectorStore(chroma, { model, dimension: 384 });
  const collectionOf = (peer: PeerName, variant: Variant) =>
    peer === "project" ? `peers${variant}` : `peers-${peer}-${variant}`;
  const chromaName = (peer: PeerName, variant: Variant) =>
    peer === "project" ? projectStore.collectionName(collectionOf(peer, variant)) : collectionOf(peer, variant);
  const configFor = (peer: PeerName, variant: Variant): PeerConfig => ({
    postgresUrl: testServices.postgresUrl,
    chromaUrl: testServices.chromaUrl,
    modelDir,
    model,
    textField: "body",
    ...(peer === "langchain-batch32" ? { batchSize: 32 } : {}),
    runs: [
      {
        variant,
        schema,
        table: variants[variant].table,
        collection: collectionOf(peer, variant),
        queries: Array.from({ length: queries }, (_, n) => variants[variant].query(n)),
        k: 5,
      },
    ],
  });

  const results = new Map<PeerName, PeerResult["runs"]>();
  const versions = new Map<PeerName, Record<string, string>>();
  const cosines = new Map<string, number>();
  /** `peer/variant` → why it has no figures: stopped at the memory cap (an outcome) or failed (a bench failure). */
  const stopped = new Map<string, string>();
  const failures: string[] = [];
  try {
    // One table at a time, every peer on it one after the other in a fresh process: load on a shared
    // machine drifts over minutes, and this keeps the contenders of one table close together in time.
    for (const variant of Object.keys(variants) as Variant[]) {
      for (const peer of peers) {
        const started = performance.now();
        console.log(`  ${peer}, ${variant} table of ${rows} rows…`);
        try {
          const result = await runPeer(peer, configFor(peer, variant), memoryCapMb * 2 ** 20);
          results.set(peer, [...(results.get(peer) ?? []), ...result.runs]);
          versions.set(peer, result.versions);
        } catch (error) {
          // One peer's failure costs only its own figures: the others still run and are written.
          if (!(error instanceof MemoryCapError)) failures.push(String(error instanceof Error ? error.message : error));
          stopped.set(`${peer}/${variant}`, error instanceof Error ? error.message : String(error));
          console.log(`  ${peer}: ${error instanceof Error ? error.message : String(error)}`);
        }
        console.log(`  ${peer} done in ${Math.round((performance.now() - started) / 1000)} s`);
      }
    }
    for (const variant of Object.keys(variants) as Variant[]) {
      if (stopped.has(`project/${variant}`)) continue;
      const reference = await vectorsByRow(chroma, chromaName("project", variant));
      for (const peer of peers.filter((name) => name !== "project" && !stopped.has(`${name}/${variant}`))) {
        const theirs = await vectorsByRow(chroma, chromaName(peer, variant));
        cosines.set(`${peer}/${variant}`, Math.min(...checkedRows.map((row) => cosine(reference, theirs, row))));
      }
    }
  } finally {
    for (const peer of peers)
      for (const variant of Object.keys(variants) as Variant[])
        await chroma.deleteCollection({ name: chromaName(peer, variant) }).catch(() => undefined);
    await dropTables();
  }
  const load = { at_start: loadAtStart, at_end: loadavg().map((value) => round(value, 2)) };
  const out = summarise(peers, { results, versions, stopped }, cosines, tokens, missing, load);
  if (failures.length) {
    // Written before failing, so the peers that did run keep their figures.
    report(out);
    throw new BenchIncompleteError(`peers: ${failures.join("; ")}`);
  }
  return out;
}

/** The two tables, recreated each run; returns each one's token counts (min, median, max) as the model sees them. */
async function createTables(): Promise<Record<Variant, { min: number; median: number; max: number }>> {
  const pool = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  env.localModelPath = modelDir;
  env.allowRemoteModels = false;
  const tokenizer = await AutoTokenizer.from_pretrained(model, { local_files_only: true });
  const tokens = {} as Record<Variant, { min: number; median: number; max: number }>;
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (const [variant, { table, texts }] of Object.entries(variants) as [Variant, (typeof variants)[Variant]][]) {
      const bodies = texts(rows);
      await pool.query(`DROP TABLE IF EXISTS ${schema}.${table}`);
      await pool.query(`CREATE TABLE ${schema}.${table} (id int PRIMARY KEY, body text)`);
      for (let start = 0; start < rows; start += 5_000) {
        const slice = bodies.slice(start, start + 5_000);
        await pool.query(`INSERT INTO ${schema}.${table} SELECT * FROM unnest($1::int[], $2::text[])`, [
          slice.map((_, offset) => start + offset),
          slice,
        ]);
      }
      // The document text every peer embeds is `body: <text>`; counted untruncated on the first 2,000 rows.
      const counts = bodies
        .slice(0, 2_000)
        .map((body) => tokenizer(`body: ${body}`).input_ids.dims.at(-1) ?? 0)
        .sort((a, b) => a - b);
      tokens[variant] = { min: counts[0] ?? 0, median: median(counts), max: counts.at(-1) ?? 0 };
    }
  } finally {
    await pool.end();
  }
  return tokens;
}

async function dropTables(): Promise<void> {
  const pool = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => pool.end());
}

/** The stored vectors of `checkedRows` in one collection, by row key (every peer writes `row_key`). */
async function vectorsByRow(
  chroma: ReturnType<typeof createChromaClient>,
  name: string,
): Promise<Map<number, number[]>> {
  // Vectors are read as stored: no embedding function (as core/vectors/store.ts opens collections).
  const collection = await chroma.getCollection({ name, embeddingFunction: null as never });
  const found = await collection.get({
    where: { row_key: { $in: checkedRows.map(String) } },
    include: ["embeddings", "metadatas"],
  });
  const byRow = new Map<number, number[]>();
  found.ids.forEach((id, index) => {
    // The project splits a row longer than its chunk limit; its first chunk stands for the row.
    if (id.includes("#") && !id.endsWith("#0")) return;
    const embedding = found.embeddings?.[index];
    if (embedding) byRow.set(Number(found.metadatas?.[index]?.row_key), Array.from(embedding));
  });
  return byRow;
}

function cosine(ours: Map<number, number[]>, theirs: Map<number, number[]>, row: number): number {
  const a = ours.get(row);
  const b = theirs.get(row);
  if (!a || !b) return Number.NaN;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += (a[index] ?? 0) * (b[index] ?? 0);
    normA += (a[index] ?? 0) ** 2;
    normB += (b[index] ?? 0) ** 2;
  }
  return dot / Math.sqrt(normA * normB);
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function summarise(
  peers: PeerName[],
  measured: {
    results: Map<PeerName, PeerResult["runs"]>;
    versions: Map<PeerName, Record<string, string>>;
    stopped: Map<string, string>;
  },
  cosines: Map<string, number>,
  tokens: Record<Variant, { min: number; median: number; max: number }>,
  missing: PeerName[],
  load: Record<string, number[]>,
): BenchResult[] {
  const out: BenchResult[] = [];
  const table: string[] = [];
  const goal: Record<string, number> = {};
  for (const variant of Object.keys(variants) as Variant[]) {
    const runOf = (peer: PeerName) => measured.results.get(peer)?.find((run) => run.variant === variant);
    const rateOf = (peer: PeerName) => {
      const run = runOf(peer);
      return run ? run.documents / run.seconds : Number.NaN;
    };
    const projectRate = rateOf("project");
    for (const peer of peers) {
      const run = runOf(peer);
      const why = measured.stopped.get(`${peer}/${variant}`);
      if (why) {
        if (why.includes("memory cap"))
          out.push({
            name: `peers-${variant}-${peer}`,
            conditions: { rows, tokens: tokens[variant], outcome: why, versions: measured.versions.get(peer) },
            metrics: { stopped_at_memory_cap_mb: memoryCapMb },
          });
        table.push(`| ${variant} | ${peer} | — | — | > ${memoryCapMb} (stopped) | — | — |`);
        continue;
      }
      expectMeasured("peers", {
        [`${peer} ${variant}: ran`]: run !== undefined,
        [`${peer} ${variant}: ${run?.documents} of ${rows} rows`]: run?.documents === rows && rows > 0,
        [`${peer} ${variant}: ${run?.queryMilliseconds.length} of ${queries} queries`]:
          run?.queryMilliseconds.length === queries && queries > 0,
      });
      if (!run) continue;
      const rate = rateOf(peer);
      const similarity = cosines.get(`${peer}/${variant}`);
      if (similarity !== undefined)
        expectMeasured("peers", {
          [`${peer} ${variant}: cosine to the project's vectors ${similarity} < 0.99 (not the same model?)`]:
            similarity >= 0.99,
        });
      const metrics: Record<string, number> = {
        documents_per_second: round(rate),
        seconds: round(run.seconds),
        vectors: run.vectors,
        peak_rss_mb: mb(run.peakRssBytes),
        query_p50_ms: round(median(run.queryMilliseconds)),
        query_p95_ms: round(percentile(run.queryMilliseconds, 0.95)),
      };
      if (Number.isFinite(projectRate)) metrics.project_speedup = round(projectRate / rate, 2);
      if (similarity !== undefined) metrics.min_cosine_to_project = round(similarity, 4);
      out.push({
        name: `peers-${variant}-${peer}`,
        conditions: {
          rows,
          tokens: tokens[variant],
          queries,
          k: 5,
          versions: measured.versions.get(peer),
          checkedRows,
          cpu: cpus()[0]?.model,
          project_speedup: "this project's documents/s ÷ this peer's (> 1: the project is faster)",
        },
        metrics,
      });
      table.push(
        `| ${variant} | ${peer} | ${metrics.documents_per_second} | ${metrics.project_speedup ?? "—"} | ${metrics.peak_rss_mb} | ${metrics.query_p50_ms} / ${metrics.query_p95_ms} | ${metrics.min_cosine_to_project ?? "—"} |`,
      );
    }
    const others = peers.filter((peer) => peer !== "project" && runOf(peer) !== undefined);
    if (others.length && runOf("project")) {
      const fastest = Math.max(...others.map(rateOf));
      goal[`${variant}_speedup_over_fastest_peer`] = round(projectRate / fastest, 2);
    }
  }
  if (Object.keys(goal).length) {
    const uniform = goal.uniform_speedup_over_fastest_peer ?? 0;
    const mixed = goal.mixed_speedup_over_fastest_peer ?? 0;
    goal.goal_met = uniform > 1 && mixed >= 1.2 ? 1 : 0;
    out.push({
      name: "peers-goal",
      conditions: {
        goal: "this project ahead of every peer on both tables; ≥ 1.2× the fastest peer on the mixed-length one",
        peers: peers.filter((peer) => peer !== "project"),
        without_figures: Object.fromEntries(measured.stopped),
        memory_cap_mb: memoryCapMb,
        skipped: missing,
        load_average_1_5_15_min: load,
        cpu: cpus()[0]?.model,
      },
      metrics: goal,
    });
  }
  console.log(
    `\n| table | peer | docs/s | project ÷ peer | peak RSS MB | query p50 / p95 ms | min cosine |\n| --- | --- | --- | --- | --- | --- | --- |\n${table.join("\n")}`,
  );
  return out;
}
