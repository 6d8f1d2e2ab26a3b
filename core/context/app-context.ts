import type { ChromaClient } from "chromadb";
import type { Redis } from "ioredis";
import type { Admin, Kafka } from "kafkajs";
import type { ConnectClient } from "../cdc/connect-client.js";
import type { CdcResources } from "../cdc/resources.js";
import type { Settings } from "../config/index.js";
import type { Embedder } from "../embeddings/index.js";
import { checkModelFiles } from "../embeddings/model-files.js";
import { ComponentUnavailableError } from "../errors/index.js";
import type { ComponentProbe } from "../health/index.js";
import type { KeywordIndex } from "../keyword/index.js";
import type { LlmProvider, LlmProviderName } from "../llm/index.js";
import { defaultProvider } from "../llm/providers.js";
import type { Logger } from "../logging/index.js";
import type { MessagePublisher } from "../messaging/index.js";
import { pingRedis } from "../redis/index.js";
import type { SourceRegistry } from "../sources/index.js";
import type { BatchStatusStore } from "../status/index.js";
import { VectorStoreUnavailableError } from "../vectors/errors.js";
import type { VectorStore } from "../vectors/index.js";

/** What a context hands out, each built on first use. A component whose setting is blank is undefined. */
export interface Capabilities {
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
  /** Kafka Connect's REST API (KAFKA_CONNECT_URL), for CDC. */
  connect: ConnectClient;
  /** CDC's slot-query pools and its cache of resolved tables. */
  cdc: CdcResources;
}

export type CapabilityName = keyof Capabilities;

/**
 * The dependencies core functions take. Each capability is created on first use (its client
 * connecting lazily in turn), so building a context never blocks on a component that is down,
 * and a function opens only what it uses. `close()` closes everything the context created.
 */
export interface AppContext extends Readonly<Capabilities> {
  settings: Settings;
  logger: Logger;
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

/** How one capability is made from the context (its settings and the capabilities it builds on), and closed. */
export interface Capability<Name extends CapabilityName> {
  create(context: AppContext, options: AppContextOptions): Capabilities[Name];
  close?(value: Capabilities[Name]): unknown;
  /** The capabilities it is built on: a function listing this one gets those too. */
  needs?: CapabilityFactories;
}

export type CapabilityFactories = { [Name in CapabilityName]?: Capability<Name> };

/** `factories` with every capability they are built on. */
export function withNeeds(factories: CapabilityFactories): CapabilityFactories {
  const all: Record<string, Capability<CapabilityName>> = {};
  const add = (group: CapabilityFactories) => {
    for (const [name, factory] of Object.entries(group) as [CapabilityName, Capability<CapabilityName>][]) {
      if (!factory || all[name]) continue;
      all[name] = factory;
      if (factory.needs) add(factory.needs);
    }
  };
  add(factories);
  return all as CapabilityFactories;
}

/** What healthProbes() probes: a function that reports health is built with these. */
export const probedCapabilities: readonly CapabilityName[] = ["chroma", "redis", "kafka", "keywords"];

const capabilityNames: readonly CapabilityName[] = [
  "redis",
  "chroma",
  "kafka",
  "embedder",
  "sources",
  "vectors",
  "keywords",
  "llm",
  "publisher",
  "batches",
  "connect",
  "cdc",
];

/** A capability the function was not built with: a deployment bug, reported like a missing component. */
export class CapabilityNotBuiltError extends ComponentUnavailableError {
  constructor(name: CapabilityName) {
    super(name, { message: `${name} is not built into this function` });
    this.name = "CapabilityNotBuiltError";
  }
}

// `this`, not the values captured at creation: a context copied with one component swapped (as tests do)
// hands out what it holds.
function requireVectors(this: AppContext): AppContext & { vectors: VectorStore } {
  if (!this.vectors) throw new VectorStoreUnavailableError();
  return this as AppContext & { vectors: VectorStore };
}

function requirePublisher(this: AppContext): AppContext & { publisher: MessagePublisher } {
  if (!this.publisher) {
    throw new ComponentUnavailableError("kafka", { message: "kafka is not configured (KAFKA_BROKERS)" });
  }
  return this as AppContext & { publisher: MessagePublisher };
}

/**
 * Defines each capability on `target`: the listed ones as getters that build on first read and
 * remember, the others as getters that throw CapabilityNotBuiltError. Those are not enumerable, so
 * copying a context (`{ ...context, vectors }`) copies only what the function was built with.
 */
function defineCapabilities(
  target: object,
  read: (name: CapabilityName) => unknown,
  has: (name: CapabilityName) => boolean,
) {
  for (const name of capabilityNames) {
    Object.defineProperty(
      target,
      name,
      has(name)
        ? { enumerable: true, configurable: true, get: () => read(name) }
        : {
            enumerable: false,
            configurable: true,
            get: () => {
              throw new CapabilityNotBuiltError(name);
            },
          },
    );
  }
}

/**
 * A context over `factories`: the capabilities a function uses. Importing only those keeps a
 * function's bundle to the libraries it needs; createAppContext gives every capability.
 */
export function createContext(
  settings: Settings,
  logger: Logger,
  listed: CapabilityFactories,
  options: AppContextOptions = {},
): AppContext {
  const factories = withNeeds(listed);
  const created = new Map<CapabilityName, unknown>();
  let admin: Promise<Admin> | undefined;

  const context = { settings, logger, requireVectors, requirePublisher } as AppContext & {
    healthProbes: () => ComponentProbe[];
    close: () => Promise<void>;
  };
  defineCapabilities(
    context,
    (name) => {
      if (!created.has(name)) {
        const factory = factories[name] as Capability<typeof name>;
        created.set(name, factory.create(context, options));
      }
      return created.get(name);
    },
    (name) => factories[name] !== undefined,
  );

  const kafkaAdmin = (client: Kafka): Promise<Admin> => {
    if (!admin) {
      const connecting = client.admin({ retry: { retries: 1, initialRetryTime: 200 } });
      admin = connecting.connect().then(
        () => connecting,
        (error: unknown) => {
          admin = undefined;
          throw error;
        },
      );
    }
    return admin;
  };

  context.healthProbes = (): ComponentProbe[] => {
    const provider = defaultProvider(settings);
    const { chroma, redis, kafka, keywords } = context;
    const devBus = kafka ? undefined : options.devBus;
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
        // A process that has an embedder proves it by embedding; one that never embeds (a deployed
        // health function) checks the model's files instead of loading a model it would never use.
        probe: created.has("embedder")
          ? async () => {
              const embedder = context.embedder;
              const [vector] = await embedder.embed(["health check"]);
              return `${embedder.model} (${vector?.length ?? 0} dimensions, ${settings.EMBEDDING_DTYPE})`;
            }
          : () => checkModelFiles(settings),
      },
      {
        name: "llm",
        required: true,
        // Remote providers are probed by the chat providers themselves (issue 5); extractive needs only the embedder.
        probe: async () => `${provider.name} (${provider.model})`,
      },
    ];
  };

  context.close = async () => {
    const pendingAdmin = admin;
    admin = undefined;
    const open = [...created.entries()];
    created.clear();
    await Promise.allSettled([
      pendingAdmin?.then((connected) => connected.disconnect()),
      ...open.map(async ([name, value]) => {
        if (value !== undefined) await (factories[name] as Capability<typeof name>).close?.(value as never);
      }),
    ]);
  };

  return context;
}

/**
 * A view of `context` with only the capabilities `names` lists: the others throw
 * CapabilityNotBuiltError, as they do in the function's own deployed context. The local server
 * and the tests build each function over such a view, so a capability a function uses but does
 * not declare fails there too, not only once deployed.
 */
export function restrictContext(context: AppContext, factories: CapabilityFactories): AppContext {
  const names = new Set(Object.keys(withNeeds(factories)));
  const view = {
    settings: context.settings,
    logger: context.logger,
    requireVectors,
    requirePublisher,
    healthProbes: () => {
      for (const name of probedCapabilities) if (!names.has(name)) throw new CapabilityNotBuiltError(name);
      return context.healthProbes();
    },
    close: () => context.close(),
  } as AppContext;
  defineCapabilities(
    view,
    (name) => context[name],
    (name) => names.has(name),
  );
  return view;
}
