// This project as a peer: its own HTTP routes (/ingest-data, then /search in vector mode) over the
// shared core, in a process of its own so its peak memory is measured like the other peers'.
// Run by bench/peers.bench.ts: `node --import tsx bench/peers/project-peer.ts '<PeerConfig JSON>'`.
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { loadConfig } from "../../core/config/index.js";
import { createAppContext } from "../../core/context/index.js";
import { createLogger } from "../../core/logging/index.js";
import { createTestLocalApp } from "../../test/support/function-apps.js";
import { peakRssBytes, resetPeakRss } from "./memory.js";
import type { PeerConfig, PeerResult } from "./protocol.js";
import { resultLinePrefix } from "./protocol.js";

const IngestAnswerSchema = z.object({ documents: z.number(), chunks: z.number(), failed: z.number() });
const SearchAnswerSchema = z.object({ results: z.array(z.object({ id: z.string() })) });

const config = JSON.parse(process.argv[2] ?? "{}") as PeerConfig;
const settings = loadConfig({
  env: {
    LOG_LEVEL: "warn",
    CHROMA_URL: config.chromaUrl,
    // Blank: no Redis (a synchronous ingest and a search need none), so nothing to clean up after.
    REDIS_URL: "",
    KAFKA_BROKERS: "",
    RATE_LIMIT_PER_MINUTE: "0",
    EMBEDDING_MODEL: config.model,
    EMBEDDING_MODEL_DIR: config.modelDir,
    SYNC_INGEST_MAX_ROWS: "1000000",
    // No SEARCH_DATABASE_URL: vector search only, as the peers do (no keyword index to keep in step).
    SOURCES: JSON.stringify(
      config.runs.map((run) => ({
        name: run.collection,
        kind: "postgresql",
        url: config.postgresUrl,
        schema: run.schema,
      })),
    ),
  },
});
const context = createAppContext(settings, createLogger(settings));
const app = createTestLocalApp(context);
const post = async (route: string, body: unknown) => {
  const response = await app.fetch(
    new Request(`http://bench.local${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${route} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
};

const result: PeerResult = { peer: "project", versions: projectVersions(), runs: [] };
try {
  await context.embedder.warmUp();
  for (const run of config.runs) {
    await context.vectors?.deleteSource(run.collection);
    resetPeakRss();
    const started = performance.now();
    const summary = IngestAnswerSchema.parse(
      await post("/ingest-data", {
        source: run.collection,
        table_or_collection: run.table,
        columns_or_fields: ["id", config.textField],
        text_fields: [config.textField],
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    if (summary.failed) throw new Error(`${summary.failed} documents failed to ingest`);
    const queryMilliseconds: number[] = [];
    for (const query of run.queries) {
      const queryStarted = performance.now();
      const answer = SearchAnswerSchema.parse(
        await post("/search", { query, max_results: run.k, mode: "vector", filters: { source: run.collection } }),
      );
      queryMilliseconds.push(performance.now() - queryStarted);
      if (answer.results.length < Math.min(run.k, summary.chunks)) throw new Error(`"${query}" found too few`);
    }
    result.runs.push({
      variant: run.variant,
      documents: summary.documents,
      vectors: summary.chunks,
      seconds,
      queryMilliseconds,
      peakRssBytes: peakRssBytes(),
    });
    console.error(`  project ${run.variant}: ${summary.documents} rows in ${seconds.toFixed(1)} s`);
  }
  console.log(`${resultLinePrefix}${JSON.stringify(result)}`);
} finally {
  await context.close();
}
process.exit(0);

function projectVersions(): Record<string, string> {
  const root = path.resolve(import.meta.dirname, "../..");
  const version = (name: string) =>
    (JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")) as { version: string })
      .version;
  return {
    "@huggingface/transformers": version("@huggingface/transformers"),
    "onnxruntime-node": version("onnxruntime-node"),
    chromadb: version("chromadb"),
    pg: version("pg"),
    node: process.version,
  };
}
