import { loadConfig, type Settings } from "../../core/config/index.js";

/**
 * Where the project's own services listen (scripts/services/lib.sh); overridable for a
 * developer who runs them elsewhere. Integration tests refuse any database whose name
 * does not mark it as a test database, so they can never touch real data.
 */
/** The addresses scripts/services/lib.sh uses by default (docker-compose.yml publishes the same). */
export const defaultTestServices = {
  postgresUrl: "postgresql://chat:chat@127.0.0.1:15432/chat_test",
  mongoUrl: "mongodb://127.0.0.1:17017/",
  mongoDatabase: "chat_test",
  redisUrl: "redis://127.0.0.1:16379/15",
  kafkaBrokers: "127.0.0.1:19092",
  chromaUrl: "http://127.0.0.1:18000",
  searchUrl: "postgresql://chat:chat@127.0.0.1:15432/chat_search_test",
};

export const testServices = {
  postgresUrl: process.env.TEST_POSTGRES_URL ?? defaultTestServices.postgresUrl,
  mongoUrl: process.env.TEST_MONGO_URL ?? defaultTestServices.mongoUrl,
  mongoDatabase: process.env.TEST_MONGO_DATABASE ?? defaultTestServices.mongoDatabase,
  redisUrl: process.env.TEST_REDIS_URL ?? defaultTestServices.redisUrl,
  kafkaBrokers: process.env.TEST_KAFKA_BROKERS ?? defaultTestServices.kafkaBrokers,
  chromaUrl: process.env.TEST_CHROMA_URL ?? defaultTestServices.chromaUrl,
  searchUrl: process.env.TEST_SEARCH_DATABASE_URL ?? defaultTestServices.searchUrl,
};

export function assertTestDatabase(name: string): void {
  if (!/(^|_)test$/.test(name)) {
    throw new Error(`refusing to run integration tests against "${name}": its name must end in _test`);
  }
}

/** Settings for tests: the real local services, quiet logs, overrides applied on top. */
export function testSettings(overrides: Record<string, string> = {}): Settings {
  return loadConfig({
    env: {
      NODE_ENV: "test",
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
      REDIS_URL: testServices.redisUrl,
      KAFKA_BROKERS: testServices.kafkaBrokers,
      CHROMA_URL: testServices.chromaUrl,
      SEARCH_DATABASE_URL: testServices.searchUrl,
      ...overrides,
    },
  });
}

/** A name unique to this run, for topics, collections and keys that tests create. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The environment of a worker process spawned for one run: the local services, with topics, consumer
 * groups and Redis keys under the run's own name so runs side by side never meet.
 */
export function runEnvironment(run: string): Record<string, string> {
  return {
    LOG_LEVEL: "silent",
    CHROMA_URL: testServices.chromaUrl,
    REDIS_URL: testServices.redisUrl,
    KAFKA_BROKERS: testServices.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: `${run}.`,
    KAFKA_GROUP_PREFIX: run,
    REDIS_KEY_PREFIX: `${run}:`,
  };
}
