import pg from "pg";
import { type CdcStatus, cdcStatus, disableCdc, type EnableCdcRequest, enableCdc } from "../core/cdc/index.js";
import type { AppContext } from "../core/context/index.js";
import type { VectorStore } from "../core/vectors/index.js";
import { startWorkers } from "../functions/local/workers.js";
import { cdcStreams } from "../test/support/cdc-run.js";
import { testServices } from "../test/support/services.js";
import { releaseRun } from "../test/support/test-run.js";
import { benchContext } from "./context.js";
import { until } from "./support.js";

/** A CDC benchmark's run: its schema registered as a source, a context under its names, the cdc-consumer. */
export interface CdcBenchRun {
  stamp: string;
  schema: string;
  source: string;
  admin: pg.Pool;
  context: AppContext;
  vectors: VectorStore;
  status(): Promise<CdcStatus>;
  /** Enables CDC for the table and waits until the connector streams from its slot. */
  enable(input: Omit<EnableCdcRequest, "source">): Promise<void>;
  /** Stops the consumer, disables CDC and removes the schema, the topics, the vectors and the keys. */
  close(): Promise<void>;
}

/**
 * Creates schema `bench_<name>_<stamp>` from `setupSql` (run with the schema as its search path)
 * and source `bench<name>_<stamp>` over it, then starts the cdc-consumer.
 */
export async function openCdcBenchRun(name: string, setupSql: string): Promise<CdcBenchRun> {
  const stamp = Date.now().toString(36);
  const schema = `bench_${name}_${stamp}`;
  const source = `bench${name}_${stamp}`;
  const admin = new pg.Pool({ connectionString: testServices.postgresUrl, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}; ${setupSql}`);
  const context = benchContext({
    KAFKA_BROKERS: testServices.kafkaBrokers,
    REDIS_KEY_PREFIX: `${source}:`,
    KAFKA_TOPIC_PREFIX: `${source}.`,
    KAFKA_GROUP_PREFIX: source,
    SOURCES: JSON.stringify([{ name: source, kind: "postgresql", url: testServices.postgresUrl, schema }]),
  });
  const vectors = context.vectors;
  if (!vectors) throw new Error("Chroma is required");
  const dependencies = { ...context, vectors };
  const workers = await startWorkers(context, ["cdc-consumer"]);
  const status = () => cdcStatus(dependencies, source);
  return {
    stamp,
    schema,
    source,
    admin,
    context,
    vectors,
    status,
    async enable(input) {
      await enableCdc(dependencies, { ...input, source });
      await until(async () => cdcStreams(await status()), 60_000, "the connector to stream", 250);
    },
    async close() {
      await workers.stop();
      await disableCdc(dependencies, source).catch((error: unknown) => console.error("disabling CDC failed", error));
      await releaseRun(context, { sources: [source], topicPrefix: `${source}.`, redisPrefix: `${source}:` });
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}
