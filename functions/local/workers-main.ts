// `npm run workers [-- ingestion-worker embedding-worker status-consumer]`: the Kafka consumer
// functions as local consumer-group members (several processes share partitions).
import { createAppContext } from "../../core/context/index.js";
import { createLogger } from "../../core/logging/index.js";
import { setDefaultContext } from "../shared/default-context.js";
import { serveMetrics } from "./metrics-server.js";
import { loadLocalSettings } from "./settings.js";
import { type ConsumerName, consumerFunctions, startWorkers } from "./workers.js";

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((argument) => argument !== "--");
  const unknown = requested.filter((name) => !(name in consumerFunctions));
  if (unknown.length) {
    console.error(`unknown worker(s): ${unknown.join(", ")}; known: ${Object.keys(consumerFunctions).join(", ")}`);
    process.exit(2);
  }
  const settings = loadLocalSettings();
  const logger = createLogger(settings);
  const context = createAppContext(settings, logger);
  setDefaultContext(context);
  await context.embedder.warmUp().catch((error: unknown) => logger.warn({ err: error }, "embedder not ready"));
  const names = (requested.length ? requested : Object.keys(consumerFunctions)) as ConsumerName[];
  const workers = await startWorkers(context, names);
  logger.info({ workers: names }, "workers running");
  // Several worker processes on one host share the setting: the first takes the port, the rest go without.
  const metricsServer =
    settings.WORKERS_METRICS_PORT && settings.METRICS_MODE !== "off"
      ? await serveMetrics(context, { host: settings.HOST, port: settings.WORKERS_METRICS_PORT }).then(
          (served) => {
            logger.info({ url: served.url }, "workers metrics");
            return served;
          },
          (error: unknown) => {
            logger.warn({ err: error, port: settings.WORKERS_METRICS_PORT }, "workers metrics not served");
            return undefined;
          },
        )
      : undefined;
  const stop = () =>
    void Promise.allSettled([workers.stop(), metricsServer?.close()]).finally(() =>
      context.close().finally(() => process.exit(0)),
    );
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

await main();
