import { createAppContext } from "../../core/context/index.js";
import { ingestSamplesIfEmpty } from "../../core/ingest/index.js";
import { createLogger } from "../../core/logging/index.js";
import { setDefaultContext } from "../shared/default-context.js";
import { listen } from "./http-server.js";
import { InProcessBus } from "./in-process-bus.js";
import { portProblem, startupProblems } from "./preflight.js";
import { askSampleQuestion } from "./sample-question.js";
import { createLocalApp } from "./server.js";
import { loadLocalSettings } from "./settings.js";
import { startWorkers, subscribeInProcess } from "./workers.js";

/** `npm start`: every HTTP function on one port, configured from the environment and .env. */
async function main(): Promise<void> {
  const settings = loadLocalSettings();
  // Before any work (model load, sample ingestion): a newcomer's mistake is one line naming the setting, not a stack trace.
  const problems = await startupProblems(settings);
  if (problems.length) {
    for (const problem of problems) console.error(problem);
    process.exit(2);
  }
  const logger = createLogger(settings);
  // Without a broker, async ingestion still works through an in-process bus (development only).
  const bus = settings.KAFKA_BROKERS
    ? undefined
    : new InProcessBus({
        topicPrefix: settings.KAFKA_TOPIC_PREFIX,
        onHandlerError: (topic, error) => logger.error({ err: error, topic }, "in-process consumer failed"),
        onUnrouted: (topic) => logger.debug({ topic }, "no in-process consumer for topic"),
      });
  const context = createAppContext(settings, logger, { devBus: bus });
  if (bus) {
    subscribeInProcess(context, bus);
    logger.warn("KAFKA_BROKERS is blank: async ingestion runs on an in-process bus (development only)");
  }
  setDefaultContext(context);
  // Load the model before taking traffic, so the first request does not wait for it.
  await context.embedder.warmUp().catch((error: unknown) => logger.warn({ err: error }, "embedder not ready"));
  // The main job on embedded defaults: the bundled samples go in on first start, so a question has answers.
  if (context.vectors) {
    const summaries = await ingestSamplesIfEmpty({ ...context, vectors: context.vectors }).catch((error: unknown) => {
      logger.warn({ err: error }, "sample ingestion failed");
      return [];
    });
    for (const summary of summaries) logger.info(summary, "sample data ingested");
  }

  // The Kafka consumers run in this process too, so /ingest-data-async works from one command;
  // `npm run workers` runs more of them as separate processes.
  const workers = context.kafka
    ? await startWorkers(context).catch((error: unknown) => {
        logger.warn({ err: error }, "Kafka workers not started; /ingest-data-async batches will wait");
        return undefined;
      })
    : undefined;

  const listening = { host: settings.HOST, port: settings.PORT, keepAliveSeconds: settings.HTTP_KEEP_ALIVE_SECONDS };
  const server = listen(createLocalApp().fetch, listening, (address) => {
    const base = `http://${address.address}:${address.port}`;
    logger.info({ url: base }, "listening");
    const metrics = settings.METRICS_MODE === "off" ? "" : `, metrics ${base}/metrics`;
    console.log(`Chat with your data on ${base}  (health ${base}/health, docs ${base}/docs${metrics})`);
    void askSampleQuestion(context, base);
  });
  // The port was free at the check; another process may have taken it during the start-up work.
  server.once("error", (error: NodeJS.ErrnoException) => {
    console.error(portProblem(error, settings.HOST, settings.PORT));
    void (workers?.stop() ?? Promise.resolve()).finally(() => context.close().finally(() => process.exit(2)));
  });

  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down");
    server.close();
    void (workers?.stop() ?? Promise.resolve()).finally(() => context.close().finally(() => process.exit(0)));
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

await main();
