import { z } from "zod";

/**
 * What bench/peers.bench.ts hands each peer's process (as its one argument, JSON) and what the
 * peer prints back (one line starting with `PEERS_RESULT `). The Node and Python peers follow the
 * same shapes; the result is validated here, since it comes from another program.
 */
export interface PeerRun {
  variant: string;
  schema: string;
  table: string;
  /** The collection (Chroma) or source (the project) this run writes and then queries. */
  collection: string;
  queries: string[];
  k: number;
}

export interface PeerConfig {
  postgresUrl: string;
  chromaUrl: string;
  /** transformers.js' localModelPath: the folder holding `<model>/` (config, tokenizer, onnx/model.onnx). */
  modelDir: string;
  model: string;
  /** The column every peer embeds, as `${textField}: value` (the project's document text for one text field). */
  textField: string;
  /** LangChain's embeddings batchSize when not its default (the langchain-batch32 peer). */
  batchSize?: number;
  runs: PeerRun[];
}

export const resultLinePrefix = "PEERS_RESULT ";

export const PeerResultSchema = z.object({
  peer: z.string(),
  versions: z.record(z.string(), z.string()),
  runs: z.array(
    z.object({
      variant: z.string(),
      documents: z.number(),
      /** Vectors written: the project splits a row longer than its chunk limit, the peers do not. */
      vectors: z.number(),
      seconds: z.number(),
      queryMilliseconds: z.array(z.number()),
      /** The process's VmHWM over this run's ingest and queries (reset before it, after the model loaded). */
      peakRssBytes: z.number(),
    }),
  ),
});
export type PeerResult = z.infer<typeof PeerResultSchema>;
