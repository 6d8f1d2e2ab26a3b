// LangChain.js as a peer, set up as its documentation shows: HuggingFaceTransformersEmbeddings
// (transformers.js, its defaults: mean pooling, normalised, batches of 512, newlines stripped; a
// second run, langchain-batch32, sets batchSize 32 as a user would after 512 ran out of memory)
// and the Chroma vector store from @langchain/community, fed by a plain `pg` query.
// bench/peers.bench.ts copies this file next to the peers' node_modules (.services/bench-peers/node)
// so its imports resolve there, and runs it with the PeerConfig JSON as its one argument.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env } from "@huggingface/transformers";
import { HuggingFaceTransformersEmbeddings } from "@langchain/community/embeddings/huggingface_transformers";
import { Chroma } from "@langchain/community/vectorstores/chroma";
import { ChromaClient } from "chromadb";
import pg from "pg";

const config = JSON.parse(process.argv[2] ?? "{}");
// The local model folder, remote loading off: how transformers.js documents loading a local model.
env.localModelPath = config.modelDir;
env.allowRemoteModels = false;

const peakRssBytes = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024;
const resetPeakRss = () => writeFileSync("/proc/self/clear_refs", "5");
const version = (name) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, "node_modules", name, "package.json"), "utf8")).version;

// config.batchSize: unset for LangChain's default (512); the langchain-batch32 peer sets 32.
const embeddings = new HuggingFaceTransformersEmbeddings({
  model: config.model,
  ...(config.batchSize ? { batchSize: config.batchSize } : {}),
});
// Loads the model before the clock starts, as the other peers do.
await embeddings.embedQuery("warm up");
const client = new ChromaClient({ path: config.chromaUrl });
const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 1 });
/** Documents per addDocuments call: the embeddings' own batch size, so each call is one model run. */
const addBatch = embeddings.batchSize;

const result = {
  peer: config.batchSize ? `langchain-batch${config.batchSize}` : "langchain",
  versions: Object.fromEntries(
    ["@langchain/community", "@langchain/core", "@huggingface/transformers", "onnxruntime-node", "chromadb", "pg"].map(
      (name) => [name, version(name)],
    ),
  ),
  runs: [],
};
result.versions.node = process.version;
for (const run of config.runs) {
  await client.deleteCollection({ name: run.collection }).catch(() => undefined);
  const store = new Chroma(embeddings, { collectionName: run.collection, url: config.chromaUrl });
  resetPeakRss();
  const started = performance.now();
  const { rows } = await pool.query(
    `SELECT id, ${config.textField} AS text FROM ${run.schema}.${run.table} ORDER BY id`,
  );
  const documents = rows.map((row) => ({
    pageContent: `${config.textField}: ${row.text}`,
    metadata: { table: run.table, row_key: String(row.id) },
  }));
  for (let start = 0; start < documents.length; start += addBatch) {
    const batch = documents.slice(start, start + addBatch);
    await store.addDocuments(batch, { ids: batch.map((document) => `row-${document.metadata.row_key}`) });
  }
  const seconds = (performance.now() - started) / 1000;
  const queryMilliseconds = [];
  for (const query of run.queries) {
    const queryStarted = performance.now();
    const found = await store.similaritySearch(query, run.k);
    queryMilliseconds.push(performance.now() - queryStarted);
    if (found.length < Math.min(run.k, documents.length)) throw new Error(`"${query}" found too few`);
  }
  result.runs.push({
    variant: run.variant,
    documents: documents.length,
    vectors: documents.length,
    seconds,
    queryMilliseconds,
    peakRssBytes: peakRssBytes(),
  });
  console.error(`  ${result.peer} ${run.variant}: ${documents.length} rows in ${seconds.toFixed(1)} s`);
}
await pool.end();
console.log(`PEERS_RESULT ${JSON.stringify(result)}`);
process.exit(0);
