import { loadConfig, type Settings } from "../core/config/index.js";
import { type AppContext, createAppContext } from "../core/context/index.js";
import { createLogger } from "../core/logging/index.js";
import { testServices } from "../test/support/services.js";

/** Settings for a benchmark: the local Chroma and Redis, no Kafka, warnings only; `env` on top. */
export function benchSettings(env: Record<string, string>): Settings {
  return loadConfig({
    env: {
      LOG_LEVEL: "warn",
      CHROMA_URL: testServices.chromaUrl,
      REDIS_URL: testServices.redisUrl,
      KAFKA_BROKERS: "",
      ...env,
    },
  });
}

/** A context for a benchmark over `benchSettings(env)`; close it when done. */
export function benchContext(env: Record<string, string>): AppContext {
  const settings = benchSettings(env);
  return createAppContext(settings, createLogger(settings));
}
