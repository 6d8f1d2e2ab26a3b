import type { ChromaClient } from "chromadb";
import type { Redis } from "ioredis";
import type { Admin, Kafka, SASLOptions } from "kafkajs";
import type { Settings } from "../config/index.js";
import { createEmbedder, type Embedder } from "../embeddings/index.js";
import { ComponentUnavailableError } from "../errors/index.js";
import type { ComponentProbe } from "../health/index.js";
import { createKeywordIndex, type KeywordIndex } from "../keyword/index.js";
import { createLlmProviders, defaultProvider, type LlmProvider, type LlmProviderName } from "../llm/index.js";
import type { Logger } from "../logging/index.js";
import { createKafka, type MessagePublisher, Publisher } from "../messaging/index.js";
import { createRedis, pingRedis } from "../redis/index.js";
import { SourceRegistry } from "../sources/index.js";
import { BatchStatusStore } from "../status/index.js";
import { createChromaClient, VectorStore, VectorStoreUnavailableError } from "../vectors/index.js";

/**
 * The dependencies core functions take: built once per process from settings.
 * Clients connect lazily, so building a context never blocks on a component that is down.
 * A component whose setting is blank is absent (undefined) and reported `disabled`.
 */
export interface AppContext {
  settings: Settings;
  logger: Logger;
  redis: Redis | undefined;
  chroma: ChromaClient | undefined;
  kafka: Kafka | undefined;
  embedder: Embedder;
  sources: SourceRegistry;
  /** Absent when CHROMA_URL is blank. Writes go to the keyword index too, when there is one. */
  vectors: VectorStore | undefined;
  /** PostgreSQL full-text index beside the vectors; absent when SEARCH_DATABASE_URL is blank. */
  keywords: KeywordIndex | undefined;
  /** The configured LLM providers, the default first; see resolveProvider. */
  llm: ReadonlyMap<LlmProviderName, LlmProvider>;
  /** Kafka; the in-process bus under `npm run dev` without a broker; absent otherwise. */
  publisher: MessagePublisher | undefined;
  batches: BatchStatusStore;
  /** This context with its vector store, or VectorStoreUnavailableError (a 503 naming it) when there is none. */
  requireVectors(): AppContext & { vectors: VectorStore };
  /** This context with its publisher (Kafka, or the dev bus), or a 503 naming kafka when there is none. */
  requirePublisher(): AppContext & { publisher: MessagePublisher };
  healthProbes(): ComponentProbe[];
  close(): Promise<void>;
}

export interface AppContextOptions {
  /**
   * Used when KAFKA_BROKERS is blank: the local runner's in-process bus (development only),
   * which /health then reports instead of a disabled Kafka.
   */
  devBus?: MessagePublisher;
}

// `this`, not the values captured at creation: a context copied with one component swapped (as tests do)
// hands out what it holds.
function requireVectors(this: AppContext): AppContext & { vectors: VectorStore } {
  if (!this.vectors) throw new VectorStoreUnavailableError();
  return { ...this, vectors: this.vectors };
}

function requirePublisher(this: AppContext): AppContext & { publisher: MessagePublisher } {
  if (!this.publisher) {
    throw new ComponentUnavailableError("kafka", { message: "kafka is not configured (KAFKA_BROKERS)" });
  }
  return { ...this, publisher: this.publisher };
}

export function createAppContext(settings: Settings, logger: Logger, options: AppContextOptions = {}): AppContext {
  const redis = settings.REDIS_URL ? createRedis(settings.REDIS_URL) : undefined;
  const chroma = settings.CHROMA_URL
    ? createChromaClient({
        url: settings.CHROMA_URL,
        tenant: settings.CHROMA_TENANT,
        database: settings.CHROMA_DATABASE,
      })
    : undefined;
  const kafka = settings.KAFKA_BROKERS
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
    : undefined;
  const embedder = createEmbedder(settings);
  const sources = new SourceRegistry(settings.sources, settings);
  const keywords = settings.SEARCH_DATABASE_URL
    ? createKeywordIndex({
        SEARCH_DATABASE_URL: settings.SEARCH_DATABASE_URL,
        SEARCH_TEXT_CONFIG: settings.SEARCH_TEXT_CONFIG,
        SEARCH_RANK_POOL: settings.SEARCH_RANK_POOL,
        SEARCH_TEXT_INDEX: settings.SEARCH_TEXT_INDEX,
      })
    : undefined;
  const vectors =
    chroma &&
    new VectorStore(
      chroma,
      { model: embedder.model, dimension: embedder.dimension },
      keywords ? { mirror: keywords } : {},
    );
  const llm = createLlmProviders(settings, embedder);
  const publisher: MessagePublisher | undefined = kafka
    ? new Publisher(kafka, settings.KAFKA_TOPIC_PREFIX)
    : options.devBus;
  const devBus = kafka ? undefined : options.devBus;
  const batches = new BatchStatusStore(redis, {
    prefix: settings.REDIS_KEY_PREFIX,
    ttlSeconds: settings.BATCH_STATUS_TTL_SECONDS,
  });
  let admin: Promise<Admin> | undefined;

  const kafkaAdmin = (client: Kafka): Promise<Admin> => {
    if (!admin) {
      const created = client.admin({ retry: { retries: 1, initialRetryTime: 200 } });
      admin = created.connect().then(
        () => created,
        (error: unknown) => {
          admin = undefined;
          throw error;
        },
      );
    }
    return admin;
  };

  const healthProbes = (): ComponentProbe[] => {
    const provider = defaultProvider(settings);
    return [
      {
        name: "vector_store",
        required: true,
        note: "set CHROMA_URL to enable",
        probe: chroma && (async () => `chroma ${await chroma.version()}`),
      },
      {
        name: "redis",
        required: true,
        note: "set REDIS_URL to enable",
        probe: redis && (async () => `redis ${await pingRedis(redis)}`),
      },
      {
        name: "kafka",
        required: true,
        note: "set KAFKA_BROKERS to enable",
        probe: devBus
          ? async () => "in-process bus: development only, nothing persists (set KAFKA_BROKERS for Kafka)"
          : kafka &&
            (async () => {
              try {
                const cluster = await (await kafkaAdmin(kafka)).describeCluster();
                return `${cluster.brokers.length} broker(s), controller ${cluster.controller}`;
              } catch (error) {
                // A dropped admin connection must be rebuilt on the next check, not reused.
                admin = undefined;
                throw error;
              }
            }),
      },
      {
        name: "keyword_index",
        // Hybrid search falls back to vectors alone (with a warning) while it is down.
        required: false,
        note: "set SEARCH_DATABASE_URL to enable keyword and hybrid search",
        probe: keywords && (async () => keywords.ping()),
      },
      {
        name: "embedder",
        required: true,
        probe: async () => {
          const [vector] = await embedder.embed(["health check"]);
          return `${embedder.model} (${vector?.length ?? 0} dimensions, ${settings.EMBEDDING_DTYPE})`;
        },
      },
      {
        name: "llm",
        required: true,
        // Remote providers are probed by the chat providers themselves (issue 5); extractive needs only the embedder.
        probe: async () => `${provider.name} (${provider.model})`,
      },
    ];
  };

  return {
    settings,
    logger,
    redis,
    chroma,
    kafka,
    embedder,
    sources,
    vectors,
    keywords,
    llm,
    publisher,
    batches,
    requireVectors,
    requirePublisher,
    healthProbes,
    async close() {
      const pendingAdmin = admin;
      admin = undefined;
      await Promise.allSettled([
        redis?.quit().catch(() => redis.disconnect()),
        pendingAdmin?.then((connected) => connected.disconnect()),
        embedder.close(),
        sources.close(),
        keywords?.close(),
        publisher?.close(),
      ]);
    },
  };
}
