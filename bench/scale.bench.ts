// `npm run bench -- scale` (issue 22, item 3): a million stored vectors in one source's collection, then
// /search latency per mode and filter, Chroma's memory and disk, and a sync audit of the million rows.
// Method and figures: docs/performance-scale.md.
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { AdminClient } from "chromadb";
import pg from "pg";
import { loadConfig } from "../core/config/index.js";
import { type AppContext, createAppContext } from "../core/context/index.js";
import { ingestTable } from "../core/ingest/index.js";
import { createLogger } from "../core/logging/index.js";
import { auditTable, rememberIngestion } from "../core/sync/index.js";
import { collectionVersionsKey } from "../core/vectors/collection-versions.js";
import { createTestLocalApp } from "../test/support/function-apps.js";
import { scratchDatabase } from "../test/support/scratch-database.js";
import { testServices, uniqueName } from "../test/support/services.js";
import { dropRedisKeys } from "./redis-keys.js";
import { corpusSchema, ensureCorpus } from "./retrieval/corpus.js";
import { ensureNoiseTable, ReplicaEmbedder } from "./retrieval/noise.js";
import type { RetrievalMode } from "./retrieval/ranking.js";
import { type Fetcher, search } from "./retrieval/search-client.js";
import { ModelVectorCache } from "./scale/model-vector-cache.js";
import { type BenchResult, expectMeasured, machineConditions, mb, median, percentile, withPeakRss } from "./support.js";

const vectorCount = Number(process.env.BENCH_SCALE_VECTORS ?? 1_000_000);
const queryCount = Number(process.env.BENCH_SCALE_QUERIES ?? 100);
/** 0 or unset: the whole manual-page corpus (about 1,800 pages) as the texts the copies are made of. */
const pageLimit = Number(process.env.BENCH_SCALE_PAGES ?? 0) || undefined;
/** Vectors in each of the ten small sources that an all-sources search meets besides the big one. */
const smallVectors = Number(process.env.BENCH_SCALE_SMALL_VECTORS ?? 200);
const source = "benchscale";
const smallSources = Array.from({ length: 10 }, (_, index) => `benchscalesmall${index}`);
const chromaData = path.resolve(import.meta.dirname, "../.services/chroma/data");
const chromaPidFile = path.resolve(import.meta.dirname, "../.services/run/chroma.pid");

/** Chroma's resident memory now (VmRSS), read from /proc; undefined when its process is not this machine's. */
function chromaRss(): number | undefined {
  try {
    const pid = readFileSync(chromaPidFile, "utf8").trim();
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Bytes under a path, like `du -sb`, but a file that vanishes during the walk counts as gone rather than failing:
 * Chroma's SQLite journal comes and goes while the server writes, and `du` exits 1 when it loses the race.
 */
function diskBytes(target: string): number {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.size;
  let entries: string[];
  try {
    entries = readdirSync(target);
  } catch {
    return stat.size;
  }
  return entries.reduce((sum, name) => sum + diskBytes(path.join(target, name)), stat.size);
}

/** Chroma's segment folders (one per index segment) now. */
function segmentFolders(): Set<string> {
  return new Set(
    readdirSync(chromaData, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? [entry.name] : [])),
  );
}

/**
 * What Chroma keeps on disk: the whole data folder (shared with everything else the server holds, so other
 * sessions' writes meanwhile count too), its SQLite file (records, documents, metadata) and the largest segment
 * folder created since `before` (the big collection's vector index, once it is the largest thing written).
 */
function chromaDisk(before?: Set<string>) {
  const added = before ? [...segmentFolders()].filter((name) => !before.has(name)) : [];
  return {
    total: diskBytes(chromaData),
    sqlite: diskBytes(path.join(chromaData, "chroma.sqlite3")),
    largestNewSegment: Math.max(0, ...added.map((name) => diskBytes(path.join(chromaData, name)))),
  };
}

const elapsed = (started: number) => (performance.now() - started) / 1000;
const round = (value: number) => Math.round(value * 10) / 10;

/**
 * Near-copies of the manual-page corpus (bench/retrieval/noise.ts: each page's vector from the model, plus
 * noise, re-normalised) loaded through core's ingestTable into one source, in a Chroma database and a
 * keyword-index database of the bench's own (both dropped afterwards); then /search through the project's
 * routes in `vector` and `hybrid` mode with a source filter, a table filter and over all sources with ten
 * small sources beside it; Chroma's RSS and disk; and an audit of the million rows.
 */
export async function benchScale(): Promise<BenchResult[]> {
  const run = uniqueName("benchscale").replace(/-/g, "_");
  const corpus = await ensureCorpus(testServices.postgresUrl, { limit: pageLimit });
  const keywords = await scratchDatabase("scale");
  const chromaUrl = new URL(testServices.chromaUrl);
  const admin = new AdminClient({ host: chromaUrl.hostname, port: Number(chromaUrl.port), ssl: false });
  const chromaDatabase = `bench_scale_${run}`;
  await admin.createDatabase({ name: chromaDatabase, tenant: "default_tenant" });
  const settings = loadConfig({
    env: {
      LOG_LEVEL: "warn",
      CHROMA_URL: testServices.chromaUrl,
      CHROMA_DATABASE: chromaDatabase,
      REDIS_URL: testServices.redisUrl,
      REDIS_KEY_PREFIX: `${run}:`,
      KAFKA_BROKERS: "",
      SEARCH_DATABASE_URL: keywords.url,
      RATE_LIMIT_PER_MINUTE: "0",
      SYNC_INGEST_MAX_ROWS: String(vectorCount),
      // Upserts of 256 vectors (four batches) instead of 128: Chroma took 256 at a time fastest (against 64 and 1,024).
      EMBEDDING_BATCH_SIZE: "64",
      SOURCES: JSON.stringify(
        [source, ...smallSources].map((name) => ({
          name,
          kind: "postgresql",
          url: testServices.postgresUrl,
          schema: corpusSchema,
        })),
      ),
    },
  });
  const context = createAppContext(settings, createLogger(settings));
  const vectors = context.requireVectors().vectors;
  let table = "";
  let cleaning: Promise<void> | undefined;
  const loaderWrites = { stopped: false, pending: new Set<Promise<void>>() };
  // The loader's view of the store: every write tracked, and refused once the run is stopping.
  const loaderVectors = Object.create(vectors, {
    upsert: {
      value: (target: string, records: Parameters<typeof vectors.upsert>[1]) => {
        if (loaderWrites.stopped) return Promise.reject(new Error("the bench is stopping"));
        const write = vectors.upsert(target, records);
        loaderWrites.pending.add(write);
        return write.finally(() => loaderWrites.pending.delete(write));
      },
    },
  }) as typeof vectors;
  // Run once, from the end of the run or from a signal that stops it: a million vectors must not stay behind.
  const cleanUp = () => {
    cleaning ??= (async () => {
      // A write still in flight would create the collection again after its deletion (the store recreates a
      // collection deleted under it): the loader's writes stop, and those under way end, first.
      loaderWrites.stopped = true;
      await Promise.allSettled(loaderWrites.pending);
      for (const name of [source, ...smallSources]) await vectors.deleteSource(name).catch(() => undefined);
      await admin.deleteDatabase({ name: chromaDatabase, tenant: "default_tenant" }).catch(() => undefined);
      await dropRedisKeys(context, `${run}:`);
      await context.redis?.del(collectionVersionsKey({ tenant: "default_tenant", database: chromaDatabase }));
      await context.close();
      await keywords.drop();
      // A million-row noise table is half a gigabyte: rebuilt on the next run rather than kept.
      if (table && vectorCount > 100_000) {
        const pool = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
        await pool.query(`DROP TABLE IF EXISTS ${corpusSchema}.${table}`);
        await pool.end();
      }
    })();
    return cleaning;
  };
  const stop = () => {
    console.error("  stopped: removing the bench's collections, databases and keys…");
    void cleanUp().finally(() => process.exit(1));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await context.embedder.warmUp();
    const rssBefore = chromaRss();
    const foldersBefore = segmentFolders();
    const diskBefore = chromaDisk();
    const loadStarted = performance.now();
    table = await ensureNoiseTable(testServices.postgresUrl, corpus.table, vectorCount, (texts) =>
      context.embedder.countTokens(texts),
    );
    const tableSeconds = elapsed(loadStarted);
    const modelVectors = new ModelVectorCache(context.embedder, testServices.postgresUrl);
    const replica = new ReplicaEmbedder(modelVectors);
    await replica.prepare(testServices.postgresUrl, table).finally(() => modelVectors.close());
    const prepareSeconds = elapsed(loadStarted) - tableSeconds;
    console.log(
      `  noise table ${Math.round(tableSeconds)} s; page vectors ${Math.round(prepareSeconds)} s (${modelVectors.embedded} embedded by the model, the rest cached)`,
    );
    const request = { source, table, textFields: ["body"], fields: ["page"] };
    console.log(`  loading ${vectorCount} vectors into ${source}…`);
    const replicaContext = { ...context, embedder: replica, vectors: loaderVectors };
    const progress = setInterval(() => {
      void vectors.count(source).then((stored) => {
        const seconds = elapsed(loadStarted) - tableSeconds - prepareSeconds;
        const rate = stored / seconds;
        console.log(
          `  ${stored} of ${vectorCount} vectors in ${Math.round(seconds)} s, ${Math.round(rate)}/s, ETA ${Math.round((vectorCount - stored) / Math.max(rate, 1))} s, Chroma RSS ${mb(chromaRss() ?? Number.NaN)} MB, load ${loadavg()[0]?.toFixed(1)}`,
        );
      });
    }, 60_000);
    const loaded = await ingestTable(replicaContext, request).finally(() => clearInterval(progress));
    const loadSeconds = elapsed(loadStarted);
    for (const small of smallSources)
      await ingestTable(replicaContext, { ...request, source: small, maxRows: smallVectors });
    const stored = await vectors.count(source);
    const storedAll = await vectors.count();
    expectMeasured("scale", {
      [`loaded ${loaded.chunks} chunks, ${loaded.failed} failed, of ${vectorCount}`]:
        loaded.chunks === vectorCount && loaded.failed === 0,
      [`Chroma holds ${stored} vectors for ${source}`]: stored === vectorCount && vectorCount > 0,
      [`Chroma holds ${storedAll} vectors over all sources`]: storedAll === vectorCount + 10 * smallVectors,
    });
    const rssLoaded = chromaRss();
    const diskLoaded = chromaDisk(foldersBefore);
    // Each figure is printed as it comes: a run stopped later still leaves what it measured.
    console.log(
      `  loaded in ${Math.round(loadSeconds)} s; Chroma RSS ${mb(rssBefore ?? Number.NaN)} → ${mb(rssLoaded ?? Number.NaN)} MB, disk +${mb(diskLoaded.total - diskBefore.total)} MB (SQLite +${mb(diskLoaded.sqlite - diskBefore.sqlite)} MB, index folder ${mb(diskLoaded.largestNewSegment)} MB)`,
    );

    const latency = await measureSearch(context, corpus.table, table);
    const rssQueried = chromaRss();
    console.log(`  ${JSON.stringify(latency)}; Chroma RSS ${mb(rssQueried ?? Number.NaN)} MB`);

    await rememberIngestion(context, request);
    const rssAuditBefore = process.memoryUsage.rss();
    const auditStarted = performance.now();
    const { result: audit, peakRss } = await withPeakRss(() => auditTable({ ...context, vectors }, { source, table }));
    const auditSeconds = elapsed(auditStarted);
    console.log(`  audit ${Math.round(auditSeconds)} s, peak RSS ${mb(peakRss)} MB (${mb(rssAuditBefore)} MB before)`);
    expectMeasured("scale", {
      [`the audit read ${audit.source_rows} rows and ${audit.stored_ids} stored ids of ${vectorCount}`]:
        audit.source_rows === vectorCount && audit.stored_ids === vectorCount,
      [`the audit found ${audit.missing.count} missing, ${audit.extra.count} extra, ${audit.stale.count} stale`]:
        audit.missing.count + audit.extra.count + audit.stale.count === 0,
    });

    return [
      {
        name: "scale",
        conditions: {
          vectors: vectorCount,
          texts: `${corpus.pages} Debian manual pages (bench/retrieval/corpus.ts), each page's vector from the model; every stored vector is a copy's: its page's vector + Gaussian noise (σ 0.025 a dimension, cosine ≈ 0.9), re-normalised (bench/retrieval/noise.ts)`,
          loader:
            "core's ingestTable from retrieval_eval's noise table, the replica embedder in place of the model, upserts of 256, two in flight; the keyword index written beside it (GIN, a scratch database)",
          small_sources: `${smallSources.length} × ${smallVectors} vectors`,
          queries: queryCount,
          k: 5,
          path: "POST /search through the project's routes in-process (query embedding included), one at a time, the six kinds interleaved query by query",
          chroma:
            "a Chroma database of the bench's own on the shared server (dropped afterwards); RSS from /proc/<pid>/status, disk: growth of `du -sb .services/chroma/data` and of its chroma.sqlite3, and the largest segment folder created during the load",
          goal: "vector p50 ≤ 30 ms, hybrid p50 ≤ 50 ms at 1M",
          ...machineConditions(),
        },
        metrics: {
          load_seconds: Math.round(loadSeconds),
          noise_table_seconds: Math.round(tableSeconds),
          page_vectors_seconds: Math.round(prepareSeconds),
          page_vectors_embedded_now: modelVectors.embedded,
          vectors_per_second_loaded: Math.round(vectorCount / (loadSeconds - tableSeconds - prepareSeconds)),
          ...latency,
          chroma_rss_before_mb: mb(rssBefore ?? Number.NaN),
          chroma_rss_loaded_mb: mb(rssLoaded ?? Number.NaN),
          chroma_rss_after_queries_mb: mb(rssQueried ?? Number.NaN),
          chroma_disk_growth_mb: mb(diskLoaded.total - diskBefore.total),
          chroma_sqlite_growth_mb: mb(diskLoaded.sqlite - diskBefore.sqlite),
          chroma_largest_new_segment_mb: mb(diskLoaded.largestNewSegment),
          audit_seconds: round(auditSeconds),
          audit_rows_per_second: Math.round(vectorCount / auditSeconds),
          audit_peak_rss_mb: mb(peakRss),
          audit_rss_before_mb: mb(rssAuditBefore),
        },
      },
    ];
  } finally {
    await cleanUp();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/** p50/p95 of each mode under each filter, interleaved query by query so drifting load falls on all alike. */
async function measureSearch(context: AppContext, corpusTable: string, table: string): Promise<Record<string, number>> {
  const app = createTestLocalApp(context);
  const fetcher: Fetcher = (request) => app.fetch(request);
  const pool = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  const summaries = (
    await pool.query<{ query: string }>(`SELECT description AS query FROM ${corpusSchema}.${corpusTable} ORDER BY page`)
  ).rows.map((row) => row.query);
  await pool.end();
  const asked = Array.from(
    { length: queryCount },
    (_, index) => summaries[Math.floor((index * summaries.length) / queryCount)] ?? "",
  );
  const filters: Record<string, Record<string, string>> = { source: { source }, table: { source, table }, all: {} };
  const kinds = (["vector", "hybrid"] as RetrievalMode[]).flatMap((mode) =>
    Object.keys(filters).map((filter) => ({ mode, filter })),
  );
  const latencies = new Map(kinds.map((kind) => [`${kind.mode}_${kind.filter}`, [] as number[]]));
  for (const kind of kinds) {
    // Warm-up: the first query of each kind opens connections and loads the index.
    await search(fetcher, { query: "warm up", max_results: 5, mode: kind.mode, filters: filters[kind.filter] ?? {} });
  }
  for (const [index, query] of asked.entries()) {
    if (index > 0 && index % 25 === 0) console.log(`  ${index} of ${asked.length} queries of each kind`);
    for (const kind of kinds) {
      const outcome = await search(fetcher, {
        query,
        max_results: 5,
        mode: kind.mode,
        filters: filters[kind.filter] ?? {},
      });
      latencies.get(`${kind.mode}_${kind.filter}`)?.push(outcome.milliseconds);
    }
  }
  const metrics: Record<string, number> = {};
  for (const [name, values] of latencies) {
    expectMeasured("scale", {
      [`${values.length} of ${asked.length} ${name} queries timed`]:
        values.length === asked.length && values.length > 0,
    });
    metrics[`${name}_p50_ms`] = round(median(values));
    metrics[`${name}_p95_ms`] = round(percentile(values, 0.95));
  }
  return metrics;
}
