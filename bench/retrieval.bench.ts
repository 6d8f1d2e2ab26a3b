import pg from "pg";
import { loadConfig, type Settings } from "../core/config/index.js";
import { type AppContext, createAppContext } from "../core/context/index.js";
import { ingestTable } from "../core/ingest/index.js";
import { createLogger } from "../core/logging/index.js";
import type { VectorStore } from "../core/vectors/index.js";
import { createTestLocalApp } from "../test/support/function-apps.js";
import { testServices } from "../test/support/services.js";
import { type Corpus, corpusSchema, ensureCorpus } from "./retrieval/corpus.js";
import { ensureNoiseTable, ReplicaEmbedder } from "./retrieval/noise.js";
import {
  distinctRows,
  type Judged,
  type RetrievalMode,
  rankingMetrics,
  rankOf,
  retrievalModes,
} from "./retrieval/ranking.js";
import { type Fetcher, search } from "./retrieval/search-client.js";
import { type BenchResult, expectMeasured, machineConditions, median, percentile } from "./support.js";

/** 0 or unset: the whole corpus (about 1,800 pages); a number: its first N pages (the smoke test's). */
const pageLimit = Number(process.env.BENCH_RETRIEVAL_PAGES ?? 0) || undefined;
/** 0 or unset: every page's query. */
const queryLimit = Number(process.env.BENCH_RETRIEVAL_QUERIES ?? 0) || undefined;
const latencyChunks = Number(process.env.BENCH_RETRIEVAL_CHUNKS ?? 100_000);
const latencyQueries = Number(process.env.BENCH_RETRIEVAL_LATENCY_QUERIES ?? 200);
/** The keyword index's text index: gin (the default) or rum, in the one test database with the extension. */
/**
 * 1: keep the noise source an earlier run loaded when the vector store and the keyword index both hold
 * exactly `latencyChunks` of it.
 */
const reuseNoise = process.env.BENCH_RETRIEVAL_REUSE_NOISE === "1";
const textIndex = process.env.BENCH_RETRIEVAL_TEXT_INDEX === "rum" ? "rum" : "gin";
/**
 * The hybrid variants the quality part also judges (comma-separated names of `hybridVariants`; default all,
 * `none` for none).
 */
const variantNames = process.env.BENCH_RETRIEVAL_VARIANTS;
/**
 * Keyword-index setups the latency part times side by side, query by query (comma-separated names of
 * `latencySetups`; default the text index alone). Every one but the first must already hold the noise source.
 */
const latencySetupNames = (process.env.BENCH_RETRIEVAL_LATENCY_SETUPS ?? textIndex)
  .split(",")
  .map((name) => name.trim())
  .filter(Boolean);
const rumSearchUrl = () => {
  const url = new URL(testServices.searchUrl);
  url.pathname = "/chat_search_rum_test";
  return url.toString();
};
const source = pageLimit ? `benchretrieval${pageLimit}` : "benchretrieval";
const noiseSource = `${source}noise`;
const redisPrefix = "bench-retrieval:";

interface Query {
  query: string;
  page: string;
}

/** What each latency setup sets over the bench's settings. */
const latencySetups: Record<string, Record<string, string>> = {
  gin: { SEARCH_TEXT_INDEX: "gin" },
  "gin-fallback-candidates": { SEARCH_TEXT_INDEX: "gin", HYBRID_KEYWORD_FALLBACK: "candidates" },
  rum: { SEARCH_TEXT_INDEX: "rum" },
  "rum-fallback-candidates": { SEARCH_TEXT_INDEX: "rum", HYBRID_KEYWORD_FALLBACK: "candidates" },
};

function settingsFor(overrides: Record<string, string> = {}): Settings {
  const index = overrides.SEARCH_TEXT_INDEX ?? textIndex;
  return loadConfig({
    env: {
      LOG_LEVEL: "warn",
      CHROMA_URL: testServices.chromaUrl,
      REDIS_URL: testServices.redisUrl,
      REDIS_KEY_PREFIX: redisPrefix,
      KAFKA_BROKERS: "",
      SEARCH_DATABASE_URL: index === "rum" ? rumSearchUrl() : testServices.searchUrl,
      SEARCH_TEXT_INDEX: index,
      RATE_LIMIT_PER_MINUTE: "0",
      SYNC_INGEST_MAX_ROWS: String(Math.max(latencyChunks, 10_000)),
      SOURCES: JSON.stringify(
        [source, noiseSource].map((name) => ({
          name,
          kind: "postgresql",
          url: testServices.postgresUrl,
          schema: corpusSchema,
        })),
      ),
      ...overrides,
    },
  });
}

/** The project over real services, reached through its own HTTP routes (as functions/local/server.ts routes them). */
async function startProject(
  overrides: Record<string, string> = {},
): Promise<{ context: AppContext; fetcher: Fetcher }> {
  const settings = settingsFor(overrides);
  const context = createAppContext(settings, createLogger(settings));
  await context.embedder.warmUp();
  const app = createTestLocalApp(context);
  return { context, fetcher: (request) => app.fetch(request) };
}

/**
 * Issue 17's evaluation: the manual-page corpus (bench/retrieval/corpus.ts) ingested through
 * /ingest-data, then each /search mode's hit@1, hit@5 and MRR@10 on the NAME → DESCRIPTION
 * queries and hit@1 on 50 exact identifiers; the fusion settings compared when the server has
 * them; and each mode's latency over a source of 100,000 chunks (near-copies of the corpus whose
 * vectors are the model's plus noise: see retrieval/noise.ts).
 */
export async function benchRetrieval(): Promise<BenchResult[]> {
  return retrievalBench({ latency: true });
}

/**
 * The quality part alone (`npm run bench -- retrieval-quality`): what a change to ranking needs measured,
 * without the latency source.
 */
export async function benchRetrievalQuality(): Promise<BenchResult[]> {
  return retrievalBench({ latency: false });
}

async function retrievalBench(parts: { latency: boolean }): Promise<BenchResult[]> {
  const corpus = await ensureCorpus(testServices.postgresUrl, { limit: pageLimit });
  const queries = await readQueries(corpus);
  const project = await startProject();
  try {
    const ingestStarted = performance.now();
    const ingested = await ingestCorpus(project.fetcher, corpus);
    const ingestSeconds = (performance.now() - ingestStarted) / 1000;
    console.log(
      `  ingested ${ingested.documents} pages as ${ingested.chunks} chunks in ${Math.round(ingestSeconds)} s`,
    );

    const quality: Record<string, number> = {};
    for (const mode of retrievalModes) {
      console.log(`  ${mode}: ${queries.length} queries and ${corpus.identifiers.length} identifiers`);
      for (const [metric, value] of Object.entries(await judge(project.fetcher, mode, queries)))
        quality[`${mode}_${metric}`] = value;
      quality[`${mode}_identifier_hit_at_1`] = (await judge(project.fetcher, mode, corpus.identifiers)).hit_at_1;
      console.log(
        `    ${JSON.stringify(Object.fromEntries(Object.entries(quality).filter(([key]) => key.startsWith(mode))))}`,
      );
    }
    const fusion = await compareFusion(project.context.settings, queries, corpus);
    const latency = parts.latency ? await latencyOfSetups(project, corpus, queries) : undefined;
    const conditions = {
      ...machineConditions(),
      corpus: `Debian 12 manual pages (manpages, manpages-dev and everyday tools' pages): query = NAME summary, document = DESCRIPTION (≤ 1,500 characters), duplicates by summary dropped`,
      pages: corpus.pages,
      text_index: textIndex,
      queries: queries.length,
      identifiers: corpus.identifiers.length,
      ingested_chunks: ingested.chunks,
      ingest_seconds: Math.round(ingestSeconds),
      max_results: 10,
      filters: { source },
      fusion: fusionSetting(project.context.settings) ?? "none (the server has no fusion settings)",
      goal: "hybrid ≥ both on every metric, hybrid hit@5 ≥ better + 0.03; identifiers: hybrid hit@1 ≥ 0.98",
    };
    return [
      { name: "retrieval-quality", conditions, metrics: quality },
      ...(fusion ? [{ name: "retrieval-fusion", conditions: fusion.conditions, metrics: fusion.metrics }] : []),
      ...(latency ? [latency] : []),
    ];
  } finally {
    await dropRedisKeys(project.context);
    await project.context.close();
  }
}

/**
 * The latency part alone (`npm run bench -- retrieval-latency`): what a change to a search path needs
 * measured, without ingesting the quality corpus through the model first.
 */
export async function benchRetrievalLatency(): Promise<BenchResult[]> {
  const corpus = await ensureCorpus(testServices.postgresUrl, { limit: pageLimit });
  const queries = await readQueries(corpus);
  const project = await startProject(latencySetupOverrides(latencySetupNames[0] ?? textIndex));
  try {
    return [await latencyOfSetups(project, corpus, queries)];
  } finally {
    await dropRedisKeys(project.context);
    await project.context.close();
  }
}

function latencySetupOverrides(name: string): Record<string, string> {
  const overrides = latencySetups[name];
  if (!overrides)
    throw new Error(
      `unknown latency setup "${name}" (BENCH_RETRIEVAL_LATENCY_SETUPS); known: ${Object.keys(latencySetups).join(", ")}`,
    );
  return overrides;
}

/**
 * The latency part over `project` (the first setup, which loads the noise source when needed) and the
 * further setups of BENCH_RETRIEVAL_LATENCY_SETUPS, each a project of its own.
 */
async function latencyOfSetups(
  project: { context: AppContext; fetcher: Fetcher },
  corpus: Corpus,
  queries: readonly Query[],
): Promise<BenchResult> {
  const [first = textIndex, ...rest] = latencySetupNames;
  const others: { name: string; context: AppContext; fetcher: Fetcher }[] = [];
  try {
    for (const name of rest) others.push({ name, ...(await startProject(latencySetupOverrides(name))) });
    return await measureLatency([{ name: first, ...project }, ...others], corpus, queries);
  } finally {
    for (const other of others) await other.context.close();
  }
}

async function readQueries(corpus: Corpus): Promise<Query[]> {
  const pool = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ query: string; page: string }>(
      `SELECT description AS query, page FROM ${corpusSchema}.${corpus.table} ORDER BY page`,
    );
    if (!queryLimit || queryLimit >= rows.length) return rows;
    // Evenly spread over the alphabet rather than the first N, so sections mix.
    return Array.from(
      { length: queryLimit },
      (_, index) => rows[Math.floor((index * rows.length) / queryLimit)] as Query,
    );
  } finally {
    await pool.end();
  }
}

async function ingestCorpus(fetcher: Fetcher, corpus: Corpus): Promise<{ documents: number; chunks: number }> {
  const response = await fetcher(
    new Request("http://bench.local/ingest-data", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        source,
        table_or_collection: corpus.table,
        // The summary (the query) stays out: text and metadata hold only what a user's table would.
        columns_or_fields: ["page", "name", "section", "body"],
        text_fields: ["body"],
      }),
    }),
  );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/ingest-data answered ${response.status}: ${text.slice(0, 300)}`);
  const summary = JSON.parse(text) as { documents: number; chunks: number; failed: number };
  expectMeasured("retrieval", {
    [`ingested ${summary.documents} of ${corpus.pages} pages`]: summary.documents === corpus.pages,
    [`${summary.failed} pages failed to ingest`]: summary.failed === 0,
  });
  return summary;
}

/**
 * Every query through /search in `mode`, ranked by distinct rows. Fails the bench when a result
 * does not say the named side found it: a server that ignores `mode` would otherwise report
 * vector figures three times.
 */
async function judge(fetcher: Fetcher, mode: RetrievalMode, queries: readonly Query[]) {
  const judged: Judged[] = [];
  let unexplained = 0;
  for (const [index, { query, page }] of queries.entries()) {
    // Progress on long runs: the whole corpus is about 1,800 queries a mode.
    if (index > 0 && index % 500 === 0) console.log(`    ${index} of ${queries.length}`);
    const outcome = await search(fetcher, { query, max_results: 10, mode, filters: { source } });
    judged.push({ rank: rankOf(distinctRows(outcome.rowKeys), page) });
    const side = mode === "hybrid" ? undefined : mode;
    if (outcome.matchedBy.some((sides) => sides === undefined || (side !== undefined && !sides.includes(side))))
      unexplained++;
  }
  expectMeasured("retrieval", {
    [`${judged.length} of ${queries.length} ${mode} queries answered`]:
      judged.length === queries.length && judged.length > 0,
    [`${unexplained} ${mode} answers without matched_by naming the ${mode} side (does the server take \`mode\`?)`]:
      unexplained === 0,
  });
  return rankingMetrics(judged);
}

/** Reciprocal rank fusion against weighted normalised scores at three weights, when the server has the settings. */
/** Hybrid under other settings: the fusion methods and weights, and the keyword side's fallback rule. */
const hybridVariants: Record<string, Record<string, string>> = {
  rrf: { HYBRID_FUSION: "rrf" },
  weighted_0_3: { HYBRID_FUSION: "weighted", HYBRID_VECTOR_WEIGHT: "0.3" },
  weighted_0_5: { HYBRID_FUSION: "weighted", HYBRID_VECTOR_WEIGHT: "0.5" },
  weighted_0_7: { HYBRID_FUSION: "weighted", HYBRID_VECTOR_WEIGHT: "0.7" },
  fallback_candidates: { HYBRID_KEYWORD_FALLBACK: "candidates" },
};

async function compareFusion(settings: Settings, queries: readonly Query[], corpus: Corpus) {
  if (!fusionSetting(settings)) return undefined;
  const chosen =
    variantNames === undefined
      ? Object.keys(hybridVariants)
      : variantNames
          .split(",")
          .map((name) => name.trim())
          .filter((name) => name && name !== "none");
  const unknown = chosen.filter((name) => !(name in hybridVariants));
  if (unknown.length)
    throw new Error(
      `unknown hybrid variant(s) ${unknown.join(", ")} (BENCH_RETRIEVAL_VARIANTS); known: ${Object.keys(hybridVariants).join(", ")}`,
    );
  if (chosen.length === 0) return undefined;
  const variants = Object.fromEntries(chosen.map((name) => [name, hybridVariants[name] ?? {}]));
  const metrics: Record<string, number> = {};
  for (const [name, overrides] of Object.entries(variants)) {
    console.log(`  fusion ${name}`);
    const project = await startProject(overrides);
    try {
      for (const [metric, value] of Object.entries(await judge(project.fetcher, "hybrid", queries)))
        metrics[`${name}_${metric}`] = value;
      metrics[`${name}_identifier_hit_at_1`] = (await judge(project.fetcher, "hybrid", corpus.identifiers)).hit_at_1;
      console.log(
        `    ${JSON.stringify(Object.fromEntries(Object.entries(metrics).filter(([key]) => key.startsWith(name))))}`,
      );
    } finally {
      await project.context.close();
    }
  }
  return {
    conditions: {
      queries: queries.length,
      variants,
      note: "hybrid mode under each variant's settings (the rest default); HYBRID_VECTOR_WEIGHT is the vector side's weight",
    },
    metrics,
  };
}

/** The keyword index's rows for `source` (each text index keeps its own database, so each its own count). */
async function keywordRows(url: string | undefined, source: string): Promise<number> {
  if (!url) return 0;
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const { rows } = await pool.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM keyword_chunks WHERE source = $1",
      [source],
    );
    return rows[0]?.count ?? 0;
  } catch {
    return 0;
  } finally {
    await pool.end();
  }
}

async function loadNoise(context: AppContext, vectors: VectorStore, table: string) {
  const replica = new ReplicaEmbedder(context.embedder);
  await replica.prepare(testServices.postgresUrl, table);
  // Rows of an older noise table (other ids) must not stay behind: the source holds this table alone.
  await vectors.deleteSource(noiseSource);
  console.log(`  loading ${latencyChunks} chunks into ${noiseSource}…`);
  return ingestTable(
    { ...context, embedder: replica, vectors },
    { source: noiseSource, table, textFields: ["body"], fields: ["page"] },
  );
}

/**
 * p50/p95 of each mode over `latencyChunks` stored chunks, modes interleaved query by query so
 * drifting load on a shared machine falls on all three alike. The noise source is loaded through
 * the project's own ingestion (core's ingestTable, so the keyword index follows as on any ingest)
 * with the replica embedder in place of the model.
 */
async function measureLatency(
  setups: readonly { name: string; context: AppContext; fetcher: Fetcher }[],
  corpus: Corpus,
  queries: readonly Query[],
): Promise<BenchResult> {
  const [primary, ...others] = setups;
  if (!primary) throw new Error("no latency setup");
  const { context } = primary;
  const vectors = context.vectors;
  if (!vectors) throw new Error("the retrieval bench needs Chroma");
  const loadStarted = performance.now();
  const table = await ensureNoiseTable(testServices.postgresUrl, corpus.table, latencyChunks, (texts) =>
    context.embedder.countTokens(texts),
  );
  // Loading is most of this bench's time; a change to the search path alone can reuse what an earlier
  // run of the same code loaded, and the result says so.
  const reused =
    reuseNoise &&
    (await vectors.count(noiseSource)) === latencyChunks &&
    (await keywordRows(context.settings.SEARCH_DATABASE_URL, noiseSource)) === latencyChunks;
  const loaded = reused ? { chunks: latencyChunks, failed: 0 } : await loadNoise(context, vectors, table);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const stored = await vectors.count(noiseSource);
  const othersHold = await Promise.all(
    others.map(
      async (other) =>
        [other.name, await keywordRows(other.context.settings.SEARCH_DATABASE_URL, noiseSource)] as const,
    ),
  );
  expectMeasured("retrieval-latency", {
    [`loaded ${loaded.chunks} chunks, ${loaded.failed} failed, of ${latencyChunks}`]:
      loaded.chunks === latencyChunks && loaded.failed === 0,
    [`the store holds ${stored} vectors for ${noiseSource}`]: stored === latencyChunks,
    ...Object.fromEntries(
      othersHold.map(([name, rows]) => [
        `setup ${name}'s keyword index holds ${rows} of ${latencyChunks} noise chunks (only the first setup loads them)`,
        rows === latencyChunks,
      ]),
    ),
  });
  // Vector mode does not depend on the keyword index, so it is timed once, through the first setup.
  const timings = [
    { key: "vector", setup: primary, mode: "vector" as const },
    ...setups.flatMap((setup) =>
      (["keyword", "hybrid"] as const).map((mode) => ({
        key: setups.length === 1 ? mode : `${setup.name}_${mode}`,
        setup,
        mode,
      })),
    ),
  ];
  const latencies = Object.fromEntries(timings.map(({ key }) => [key, [] as number[]]));
  const asked = Array.from({ length: latencyQueries }, (_, index) => queries[index % queries.length] as Query);
  const machineBefore = machineConditions();
  for (const { setup, mode } of timings) {
    // Warm-up: the first queries of each mode open connections and fill caches.
    await search(setup.fetcher, { query: "warm up", max_results: 5, mode, filters: { source: noiseSource } });
  }
  for (const [index, { query }] of asked.entries()) {
    // Rotated query by query, so no setup always runs right after another's cache-warming twin.
    const rotation = index % timings.length;
    for (const { key, setup, mode } of [...timings.slice(rotation), ...timings.slice(0, rotation)]) {
      const outcome = await search(setup.fetcher, { query, max_results: 5, mode, filters: { source: noiseSource } });
      latencies[key]?.push(outcome.milliseconds);
    }
  }
  const round = (value: number) => Math.round(value * 10) / 10;
  const metrics: Record<string, number> = {};
  for (const { key } of timings) {
    const values = latencies[key] ?? [];
    expectMeasured("retrieval-latency", {
      [`${values.length} of ${asked.length} ${key} queries timed`]: values.length === asked.length && values.length > 0,
    });
    metrics[`${key}_p50_ms`] = round(median(values));
    metrics[`${key}_p95_ms`] = round(percentile(values, 0.95));
  }
  return {
    name: "retrieval-latency",
    conditions: {
      chunks: latencyChunks,
      chunks_loaded: reused ? "reused from an earlier run (BENCH_RETRIEVAL_REUSE_NOISE=1)" : "by this run",
      text_index: setups.length === 1 ? primary.context.settings.SEARCH_TEXT_INDEX : undefined,
      setups: Object.fromEntries(setups.map((setup) => [setup.name, latencySetups[setup.name] ?? {}])),
      queries: asked.length,
      k: 5,
      filters: { source: noiseSource },
      path: "POST /search through the project's routes in-process (query embedding included), one at a time; setups and modes interleaved query by query, rotated",
      load_seconds: Math.round(loadSeconds),
      noise_source: `${latencyChunks} near-copies of the corpus pages (first 600 characters, one word in ten dropped), one chunk each; vectors = the model's vector of the page's copy text + Gaussian noise (σ 0.025 a dimension, cosine ≈ 0.9), re-normalised`,
      load_average_before: machineBefore.load_average,
      ...machineConditions(),
      goal: "hybrid p50 ≤ 25 ms",
    },
    metrics,
  };
}

/** HYBRID_FUSION when this build of the server has it (the hybrid search change adds it). */
function fusionSetting(settings: Settings): string | undefined {
  const value = (settings as Record<string, unknown>).HYBRID_FUSION;
  return typeof value === "string" ? value : undefined;
}

async function dropRedisKeys(context: AppContext): Promise<void> {
  const redis = context.redis;
  if (!redis) return;
  if (redis.status === "wait") await redis.connect().catch(() => undefined);
  const keys = await redis.keys(`${redisPrefix}*`).catch(() => [] as string[]);
  if (keys.length) await redis.del(...keys).catch(() => undefined);
}
