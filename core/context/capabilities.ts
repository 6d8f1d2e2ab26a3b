import type { SASLOptions } from "kafkajs";
import { ConnectClient } from "../cdc/connect-client.js";
import { CdcResources } from "../cdc/resources.js";
import type { Settings } from "../config/index.js";
import { createEmbedder } from "../embeddings/create-embedder.js";
import { embeddingModelInfo } from "../embeddings/model-info.js";
import { createKeywordIndex } from "../keyword/create.js";
import { createLlmProviders } from "../llm/factory.js";
import type { Logger } from "../logging/index.js";
import { createKafka } from "../messaging/kafka-client.js";
import { Publisher } from "../messaging/publisher.js";
import { createRedis } from "../redis/client.js";
import { SourceRegistry } from "../sources/registry.js";
import { BatchStatusStore } from "../status/batch-status.js";
import { createChromaClient } from "../vectors/chroma-client.js";
import { RedisCollectionVersions } from "../vectors/collection-versions.js";
import { SmallCollections } from "../vectors/small-collections.js";
import { VectorStore } from "../vectors/store.js";
import {
  type AppContext,
  type AppContextOptions,
  type Capability,
  type CapabilityFactories,
  createContext,
} from "./app-context.js";

// One factory per capability, each importing only its own library, so a function that lists a few
// carries only those. A factory reads what it builds on through the context (built on first use too).

export const redisCapability: Capability<"redis"> = {
  create: ({ settings }) => (settings.REDIS_URL ? createRedis(settings.REDIS_URL) : undefined),
  close: (client) => client?.quit().catch(() => client.disconnect()),
};

export const chromaCapability: Capability<"chroma"> = {
  create: ({ settings }) =>
    settings.CHROMA_URL
      ? createChromaClient({
          url: settings.CHROMA_URL,
          tenant: settings.CHROMA_TENANT,
          database: settings.CHROMA_DATABASE,
        })
      : undefined,
};

export const kafkaCapability: Capability<"kafka"> = {
  create: ({ settings, logger }) =>
    settings.KAFKA_BROKERS
      ? createKafka(
          {
            brokers: settings.KAFKA_BROKERS,
            clientId: settings.KAFKA_CLIENT_ID,
            ssl: settings.KAFKA_SSL,
            ...(settings.KAFKA_SASL_MECHANISM
              ? {
                  sasl: {
                    mechanism: settings.KAFKA_SASL_MECHANISM,
                    username: settings.KAFKA_SASL_USERNAME ?? "",
                    password: settings.KAFKA_SASL_PASSWORD ?? "",
                  } as SASLOptions,
                }
              : {}),
          },
          logger,
        )
      : undefined,
};

export const embedderCapability: Capability<"embedder"> = {
  create: ({ settings }) => createEmbedder(settings),
  close: (value) => value.close(),
};

export const sourcesCapability: Capability<"sources"> = {
  create: ({ settings }) => new SourceRegistry(settings.sources, settings),
  close: (registry) => registry.close(),
};

export const keywordsCapability: Capability<"keywords"> = {
  create: ({ settings }) =>
    settings.SEARCH_DATABASE_URL
      ? createKeywordIndex({
          SEARCH_DATABASE_URL: settings.SEARCH_DATABASE_URL,
          SEARCH_TEXT_CONFIG: settings.SEARCH_TEXT_CONFIG,
          SEARCH_RANK_POOL: settings.SEARCH_RANK_POOL,
          SEARCH_TEXT_INDEX: settings.SEARCH_TEXT_INDEX,
        })
      : undefined,
  close: (index) => index?.close(),
};

export const vectorsCapability: Capability<"vectors"> = {
  needs: { chroma: chromaCapability, keywords: keywordsCapability, redis: redisCapability },
  // The model's name and width come from the settings: storing and deleting need no model loaded.
  create: ({ chroma, keywords, redis, settings }) =>
    chroma &&
    new VectorStore(chroma, embeddingModelInfo(settings), {
      ...(keywords ? { mirror: keywords } : {}),
      // Every writer raises the versions, so the copies of small sources are built wherever Redis is.
      ...(redis
        ? {
            small: new SmallCollections(
              new RedisCollectionVersions(redis, {
                tenant: settings.CHROMA_TENANT,
                database: settings.CHROMA_DATABASE,
              }),
              { maxRecords: settings.SEARCH_SMALL_SOURCE_RECORDS },
            ),
          }
        : {}),
    }),
};

export const llmCapability: Capability<"llm"> = {
  needs: { embedder: embedderCapability },
  create: ({ settings, embedder }) => createLlmProviders(settings, embedder),
};

export const publisherCapability: Capability<"publisher"> = {
  needs: { kafka: kafkaCapability },
  create: ({ kafka, settings }, options) =>
    kafka ? new Publisher(kafka, settings.KAFKA_TOPIC_PREFIX) : options.devBus,
  close: (value) => value?.close(),
};

export const batchesCapability: Capability<"batches"> = {
  needs: { redis: redisCapability },
  create: ({ redis, settings }) =>
    new BatchStatusStore(redis, { prefix: settings.REDIS_KEY_PREFIX, ttlSeconds: settings.BATCH_STATUS_TTL_SECONDS }),
};

export const connectCapability: Capability<"connect"> = {
  create: ({ settings }) => new ConnectClient({ baseUrl: settings.KAFKA_CONNECT_URL }),
  close: (client) => client.close(),
};

export const cdcCapability: Capability<"cdc"> = {
  create: () => new CdcResources(),
  close: (resources) => resources.close(),
};

/** What healthProbes() probes (probedCapabilities): a function that reports health is built with these. */
export const healthCapabilities: CapabilityFactories = {
  chroma: chromaCapability,
  redis: redisCapability,
  kafka: kafkaCapability,
  keywords: keywordsCapability,
};

/** Every capability: the local server, the CLI, the tests and the functions that embed. */
export const allCapabilities: CapabilityFactories = {
  redis: redisCapability,
  chroma: chromaCapability,
  kafka: kafkaCapability,
  embedder: embedderCapability,
  sources: sourcesCapability,
  keywords: keywordsCapability,
  vectors: vectorsCapability,
  llm: llmCapability,
  publisher: publisherCapability,
  batches: batchesCapability,
  connect: connectCapability,
  cdc: cdcCapability,
};

/**
 * The dependencies core functions take, every capability available (each built on first use).
 * @example const context = createAppContext(loadConfig(), logger); … await context.close();
 */
export function createAppContext(settings: Settings, logger: Logger, options: AppContextOptions = {}): AppContext {
  return createContext(settings, logger, allCapabilities, options);
}
