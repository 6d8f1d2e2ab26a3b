import { TransformersEmbedder } from "../core/embeddings/index.js";
import { searchDocuments } from "../core/search/index.js";
import { createChromaClient, VectorStore } from "../core/vectors/index.js";
import { testServices, testSettings } from "../test/support/services.js";
import { type BenchResult, expectMeasured, median, percentile } from "./support.js";

export const queryVectors = Number(process.env.BENCH_VECTORS ?? 100_000);
const vectors = queryVectors;
const queries = Number(process.env.BENCH_QUERIES ?? 100);
/** The size in the name, so a smaller run (the smoke test's) never replaces the full collection. */
export const querySource = vectors === 100_000 ? "benchquery" : `benchquery${vectors}`;
const source = querySource;

function randomUnit(dimension: number, seed: number): number[] {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648 - 0.5;
  };
  const vector = Array.from({ length: dimension }, next);
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

function createBenchStore(embedder: TransformersEmbedder): VectorStore {
  return new VectorStore(
    createChromaClient({ url: testServices.chromaUrl, tenant: "default_tenant", database: "default_database" }),
    { model: embedder.model, dimension: embedder.dimension },
  );
}

/** Loads `querySource` with `vectors` random unit vectors unless it already holds exactly that many. */
export async function ensureQueryCollection(store: VectorStore): Promise<number> {
  const loadStarted = performance.now();
  if ((await store.count(source)) !== vectors) {
    await store.deleteSource(source);
    for (let start = 0; start < vectors; start += 1_000) {
      await store.upsert(
        source,
        Array.from({ length: Math.min(1_000, vectors - start) }, (_, offset) => {
          const n = start + offset;
          return {
            id: `${source}:t:${n}`,
            embedding: randomUnit(384, n + 1),
            document: `record ${n}`,
            metadata: { table: `t${n % 3}`, source },
          };
        }),
      );
    }
  }
  const stored = await store.count(source);
  expectMeasured("query", { [`the collection holds ${stored} of ${vectors} vectors`]: stored === vectors });
  return (performance.now() - loadStarted) / 1000;
}

const benchEmbedder = () =>
  new TransformersEmbedder({
    model: "Xenova/all-MiniLM-L6-v2",
    modelDir: ".services/models",
    dtype: "fp32",
    batchSize: 32,
    allowRemote: false,
  });

/** The query benchmark's collection, for the chat benchmark to search. */
export async function prepareQueryCollection(): Promise<void> {
  const embedder = benchEmbedder();
  await ensureQueryCollection(createBenchStore(embedder));
  await embedder.close();
}

/**
 * /search's path (embed the query, kNN in Chroma) over a collection of `vectors` records, and the
 * same with a metadata filter matching a third of them (the slow path on this Chroma).
 */
export async function benchQuery(): Promise<BenchResult[]> {
  const embedder = benchEmbedder();
  const store = createBenchStore(embedder);
  const loadSeconds = await ensureQueryCollection(store);
  await embedder.warmUp();
  const vectorOnly = testSettings({ SEARCH_DEFAULT_MODE: "vector" });
  const measure = async (filters?: Record<string, string>) => {
    const latencies: number[] = [];
    let short = 0;
    for (let index = 0; index < queries; index++) {
      const started = performance.now();
      const matches = await searchDocuments(
        { embedder, vectors: store, settings: vectorOnly },
        { query: `a question about record ${index}`, maxResults: 5, filters: { source, ...filters } },
      );
      latencies.push(performance.now() - started);
      // The filter matches every third record (t1), so a tiny collection may hold fewer than five.
      if (matches.length < Math.min(5, filters ? Math.floor(vectors / 3) : vectors)) short++;
    }
    expectMeasured("query", {
      [`${latencies.length} of ${queries} queries timed`]: latencies.length === queries && queries > 0,
      [`${short} queries returned fewer matches than asked`]: short === 0,
    });
    return {
      p50_ms: Math.round(median(latencies) * 10) / 10,
      p95_ms: Math.round(percentile(latencies, 0.95) * 10) / 10,
    };
  };
  const plain = await measure();
  const filtered = await measure({ table: "t1" });
  await embedder.close();
  return [
    {
      name: "query",
      conditions: { vectors, queries, k: 5, includesQueryEmbedding: true, loadSeconds: Math.round(loadSeconds) },
      metrics: plain,
    },
    {
      name: "query-filtered",
      conditions: { vectors, queries, k: 5, filter: "table = t1 (a third)" },
      metrics: filtered,
    },
  ];
}
