import { TransformersEmbedder } from "../core/embeddings/index.js";
import { searchDocuments } from "../core/search/index.js";
import { createChromaClient, VectorStore } from "../core/vectors/index.js";
import { testServices, testSettings } from "../test/support/services.js";
import { type BenchResult, median, percentile } from "./support.js";

const vectors = Number(process.env.BENCH_VECTORS ?? 100_000);
const queries = Number(process.env.BENCH_QUERIES ?? 100);
const source = "benchquery";

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

/**
 * /search's path (embed the query, kNN in Chroma) over a collection of `vectors` records, and the
 * same with a metadata filter matching a third of them (the slow path on this Chroma).
 */
export async function benchQuery(): Promise<BenchResult[]> {
  const embedder = new TransformersEmbedder({
    model: "Xenova/all-MiniLM-L6-v2",
    modelDir: ".services/models",
    dtype: "fp32",
    batchSize: 32,
    allowRemote: false,
  });
  const store = new VectorStore(
    createChromaClient({ url: testServices.chromaUrl, tenant: "default_tenant", database: "default_database" }),
    {
      model: embedder.model,
      dimension: embedder.dimension,
    },
  );
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
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  await embedder.warmUp();
  const vectorOnly = testSettings({ SEARCH_DEFAULT_MODE: "vector" });
  const measure = async (filters?: Record<string, string>) => {
    const latencies: number[] = [];
    for (let index = 0; index < queries; index++) {
      const started = performance.now();
      await searchDocuments(
        { embedder, vectors: store, settings: vectorOnly },
        { query: `a question about record ${index}`, maxResults: 5, filters: { source, ...filters } },
      );
      latencies.push(performance.now() - started);
    }
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
