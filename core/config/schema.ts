import { z } from "zod";

/** An env var that may be unset or blank. */
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));

/**
 * A component's address: unset takes the default (the project's local service),
 * blank means "not configured" and disables the component.
 */
function componentAddress<T extends z.ZodType<string>>(defaultValue: string, schema: T) {
  return z.preprocess(
    (value) =>
      value === undefined ? defaultValue : typeof value === "string" && value.trim() === "" ? undefined : value,
    schema.optional(),
  );
}

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();

/**
 * Every setting the service reads, with its default. Keys are env var names.
 * The settings table in docs/settings.md is generated from these descriptions (npm run settings-table).
 */
/** Every LLM provider the service knows; which of them a deployment enables depends on its settings. */
export const llmProviderNames = ["extractive", "gemini", "openai"] as const;

export const settingsSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development").describe("Runtime mode"),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe("pino log level"),
  HOST: z.string().min(1).default("127.0.0.1").describe("Address the local Node server binds"),
  PORT: port.default(8000).describe("Port of the local Node server"),
  HTTP_KEEP_ALIVE_SECONDS: positiveInt
    .max(3_600)
    .default(65)
    .describe("Idle keep-alive time of the local Node server; keep it above a load balancer's idle timeout (ALB: 60)"),
  SERVICE_NAME: z.string().min(1).default("chat-with-your-data").describe("Name reported by `/` and in logs"),

  CHROMA_URL: componentAddress("http://127.0.0.1:18000", z.url()).describe(
    "Chroma server URL; blank disables the vector store",
  ),
  CHROMA_TENANT: z.string().min(1).default("default_tenant").describe("Chroma tenant"),
  CHROMA_DATABASE: z.string().min(1).default("default_database").describe("Chroma database"),

  SEARCH_DATABASE_URL: componentAddress(
    "postgresql://chat:chat@127.0.0.1:15432/chat_search",
    z
      .string()
      .trim()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
  ).describe(
    "PostgreSQL database of the keyword (full-text) index beside the vectors; blank disables keyword and hybrid search",
  ),
  SEARCH_TEXT_CONFIG: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, "a PostgreSQL text search configuration name, e.g. english or simple")
    .default("english")
    .describe("PostgreSQL text search configuration of the keyword index (stemming and stop words)"),
  SEARCH_TEXT_INDEX: z
    .enum(["gin", "rum"])
    .default("gin")
    .describe(
      "Text index of the keyword index: gin, or rum (faster ranking on large sources; needs the rum extension; see docs/retrieval.md)",
    ),
  SEARCH_RANK_POOL: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(200)
    .describe(
      "With SEARCH_TEXT_INDEX=rum, how many of the index's best matches a keyword query ranks by ts_rank (at least 4 × the results asked for); 0 ranks every match",
    ),
  SEARCH_SMALL_SOURCE_RECORDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(1_000)
    .describe(
      "A search over several sources answers for each source of at most this many vectors from a copy in the process's memory, checked against a version in Redis (at most 32 sources held); 0 asks Chroma for every source",
    ),
  SEARCH_DEFAULT_MODE: z
    .enum(["hybrid", "vector", "keyword"])
    .optional()
    .describe(
      "Retrieval mode when a request names none; unset: hybrid when the keyword index is configured, else vector",
    ),
  HYBRID_FUSION: z
    .enum(["weighted", "rrf"])
    .default("weighted")
    .describe(
      "How hybrid search fuses its two rankings: weighted (min-max normalised scores, weighted sum) or rrf (reciprocal rank fusion)",
    ),
  HYBRID_VECTOR_WEIGHT: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe("Weight of the vector side in weighted fusion (the keyword side gets 1 minus it)"),
  HYBRID_RRF_K: positiveInt.max(1_000).default(60).describe("The k of reciprocal rank fusion: 1/(k + rank)"),
  HYBRID_CANDIDATES: positiveInt
    .max(500)
    .default(50)
    .describe("Candidates each side of hybrid search ranks before fusion (at least three times max_results are taken)"),
  HYBRID_KEYWORD_FALLBACK: z
    .enum(["results", "candidates"])
    .default("results")
    .describe(
      "When hybrid search's keyword side also ranks chunks holding only some query words: results (fewer than 3 × max_results hold every word, as keyword mode) or candidates (fewer than HYBRID_CANDIDATES: slower on the default GIN index; see docs/retrieval.md)",
    ),

  REDIS_URL: componentAddress("redis://127.0.0.1:16379", z.url()).describe(
    "Redis URL for history, batch status and rate limits; blank disables it",
  ),
  REDIS_KEY_PREFIX: z.string().default("cwd:").describe("Prefix of every Redis key this service writes"),

  KAFKA_BROKERS: componentAddress("127.0.0.1:19092", z.string().trim().min(1)).describe(
    "Comma-separated Kafka bootstrap servers; blank disables Kafka",
  ),
  KAFKA_CLIENT_ID: z.string().min(1).default("chat-with-your-data").describe("Kafka client id"),
  KAFKA_CONNECT_URL: z
    .string()
    .url()
    .default("http://127.0.0.1:18083")
    .describe("Kafka Connect REST API that runs the Debezium connectors of POST /sources/{name}/cdc"),
  KAFKA_CONNECT_DATABASE_HOST: optionalText.describe(
    "host[:port] Kafka Connect reaches PostgreSQL sources at, when not the source URL's (postgres:5432 in docker-compose)",
  ),
  KAFKA_SSL: booleanFlag.default(false).describe("Connect to Kafka over TLS (MSK, Confluent Cloud)"),
  KAFKA_SASL_MECHANISM: optionalText
    .pipe(z.enum(["plain", "scram-sha-256", "scram-sha-512"]).optional())
    .describe("SASL mechanism for Kafka; unset means no SASL"),
  KAFKA_SASL_USERNAME: optionalText.describe("SASL user name for Kafka"),
  KAFKA_SASL_PASSWORD: optionalText.describe("SASL password for Kafka (secret: never logged)"),
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(2).describe("Partitions for topics the service creates"),

  EMBEDDING_PROVIDER: z
    .enum(["transformers", "hash"])
    .default("transformers")
    .describe(
      "transformers: the model; hash: hashed tokens, benchmarks and tests only (vectors without meaning, stored under their own model name)",
    ),
  EMBEDDING_MODEL: z
    .string()
    .min(1)
    .default("Xenova/all-MiniLM-L6-v2")
    .describe("Embedding model id (a folder under EMBEDDING_MODEL_DIR)"),
  EMBEDDING_MODEL_DIR: z
    .string()
    .min(1)
    .default(".services/models")
    .describe("Local folder holding model folders (relative to the working directory)"),
  EMBEDDING_DTYPE: z.enum(["fp32", "q8"]).default("fp32").describe("Model precision: fp32 or q8 (int8)"),
  EMBEDDING_BATCH_SIZE: positiveInt
    .max(1024)
    .default(32)
    .describe("Texts per model run with one in-process session; an ingestion pipeline embeds four of these per call"),
  EMBEDDING_SESSIONS: z
    .union([z.literal("auto"), z.coerce.number().int().min(0).max(64)])
    .default("auto")
    .describe(
      "Model sessions in worker threads, one thread each (auto: one per core when there are two or more); 0: one in-process session using every core",
    ),
  EMBEDDING_SESSION_BATCH_SIZE: positiveInt
    .max(1024)
    .default(8)
    .describe("Texts per model run in each worker session (small batches pad less and share the work evenly)"),
  EMBEDDING_ALLOW_REMOTE: booleanFlag
    .default(false)
    .describe("Let transformers.js download the model from the hub when it is not in the folder"),

  LLM_PROVIDER: z
    .enum(llmProviderNames)
    .optional()
    .describe(
      "Default LLM provider; when unset: gemini if GEMINI_API_KEY is set, else openai if OPENAI_BASE_URL is set, else extractive",
    ),
  GEMINI_API_KEY: optionalText.describe("Gemini API key (secret); enables the gemini provider"),
  GEMINI_MODEL: z.string().min(1).default("gemini-2.5-flash").describe("Gemini model"),
  GEMINI_BASE_URL: optionalText.pipe(z.url().optional()).describe("Override of the Gemini API base URL"),
  OPENAI_BASE_URL: optionalText
    .pipe(z.url().optional())
    .describe("Base URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp); enables the openai provider"),
  OPENAI_API_KEY: optionalText.describe("API key for the OpenAI-compatible server (secret)"),
  OPENAI_MODEL: z.string().min(1).default("llama3.1").describe("Model name on the OpenAI-compatible server"),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.2).describe("Sampling temperature"),
  LLM_MAX_TOKENS: positiveInt.default(1024).describe("Maximum tokens in an answer"),
  LLM_TIMEOUT_MS: positiveInt.default(60_000).describe("Timeout of one LLM call"),

  CHAT_HISTORY_TURNS: z.coerce
    .number()
    .int()
    .min(0)
    .max(50)
    .default(5)
    .describe("Past turns (a question and its answer) of a user's history put in the prompt"),
  CHAT_HISTORY_MAX_MESSAGES: positiveInt
    .max(10_000)
    .default(200)
    .describe("Messages kept per user in Redis; older ones are trimmed"),
  CHAT_HISTORY_TTL_SECONDS: positiveInt
    .default(2_592_000)
    .describe("Seconds a user's history lives after their last exchange (default 30 days)"),
  CHAT_MIN_SCORE: z.coerce
    .number()
    .min(-1)
    .max(1)
    .default(0)
    .describe("Retrieved documents below this cosine similarity are left out of the prompt"),
  CHAT_CONTEXT_TOKENS: positiveInt
    .default(3_000)
    .describe("Token budget of the prompt's context (history, documents, question); lowest-scored documents go first"),
  CHAT_MAX_TOOL_CALLS: z.coerce
    .number()
    .int()
    .min(0)
    .max(20)
    .default(5)
    .describe(
      "Tool calls (search, query) a model may make for one answer (Gemini and OpenAI-compatible providers); 0 offers no tools",
    ),

  SOURCES: optionalText.describe(
    "JSON array of named sources ({name, kind: postgresql|mongodb|csv|jsonl, ...}); unset: the bundled samples",
  ),
  SOURCES_FILE: optionalText.describe("Path of a JSON file holding the sources (instead of SOURCES)"),
  DATA_DIR: z.string().min(1).default("data").describe("Folder that file sources and CSV endpoints are confined to"),
  ALLOW_INLINE_CONNECTIONS: booleanFlag
    .default(false)
    .describe("Accept inline connection_params in requests (never stored, logged or sent on Kafka)"),
  SCHEMA_SAMPLE_SIZE: positiveInt.max(10_000).default(200).describe("Documents sampled to infer a collection's fields"),
  CHUNK_MAX_TOKENS: positiveInt
    .max(512)
    .default(256)
    .describe("Token window of one chunk (the model's limit, [CLS]/[SEP] included)"),
  CHUNK_OVERLAP_TOKENS: z.coerce
    .number()
    .int()
    .min(0)
    .max(128)
    .default(32)
    .describe("Tokens repeated between consecutive chunks"),

  INCLUDE_MAX_DEPTH: positiveInt
    .max(2)
    .default(2)
    .describe("Steps an ingestion's include may chain (orders → order_lines → products is 2); at most 2"),
  INCLUDE_MAX_RELATED_ROWS: positiveInt
    .max(1_000)
    .default(100)
    .describe("Most related rows one document may render, counted from the includes' limits (a 400 above)"),

  SYNC_INGEST_MAX_ROWS: positiveInt
    .default(100_000)
    .describe("Rows POST /ingest-data takes in one request; larger sources get a 413 pointing to /ingest-data-async"),

  EMBEDDING_GROUP_SIZE: positiveInt
    .max(1_000)
    .default(64)
    .describe("Chunks per embedding-requests message in async ingestion"),
  BATCH_STATUS_TTL_SECONDS: positiveInt.default(604_800).describe("How long a batch's status stays in Redis"),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/)
    .default("")
    .describe("Prefix of every topic name (lets several deployments or test runs share a cluster)"),
  KAFKA_GROUP_PREFIX: z.string().min(1).default("cwd").describe("Prefix of the consumer group ids the workers join"),

  SYNC_PAGE_SIZE: positiveInt
    .max(5_000)
    .default(2_000)
    .describe("Rows (and stored ids) sync and audit compare per page; memory stays bounded by it"),
  SYNC_LOCK_SECONDS: positiveInt
    .default(900)
    .describe("How long one table's sync lock lives without renewal (a crashed sync frees it after this)"),
  SYNC_WAIT_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(900)
    .default(60)
    .describe("How long a queued sync (Kafka) waits for a running sync of the same table before retrying"),
  AUDIT_SAMPLE_SIZE: positiveInt
    .max(1_000)
    .default(20)
    .describe("Ids an audit report lists per kind (missing, extra, stale); the counts are always complete"),

  QUERY_TIMEOUT_MS: positiveInt
    .max(300_000)
    .default(5_000)
    .describe("Time a structured query (POST /query) may run on a database before it is cancelled"),

  HEALTH_TIMEOUT_MS: positiveInt.default(3_000).describe("Time each /health component check may take"),

  METRICS_MODE: z
    .enum(["prometheus", "emf", "off"])
    .default("prometheus")
    .describe(
      "prometheus: GET /metrics for a scraper; emf: also CloudWatch Embedded Metric Format log lines after each request and consumer event (serverless); off: no /metrics",
    ),
  WORKERS_METRICS_PORT: port
    .default(9464)
    .describe("Port where `npm run workers` serves /metrics (on HOST); 0 turns it off"),

  API_KEYS: optionalText.describe(
    "JSON list of API keys as {name, sha256, scopes, users, rate_limit_per_minute} (npm run api-key makes one); unset: no authentication",
  ),
  API_KEYS_FILE: optionalText.describe("Path of a JSON file with the API keys, instead of API_KEYS"),
  MCP_API_KEY: optionalText.describe(
    "The API key `npm run mcp` (MCP over stdio) acts with when API keys are configured: its scopes, users and rate limit apply",
  ),
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .default(600)
    .describe("Requests per minute per API key unless the key sets its own, shared through Redis; 0 disables"),
  MAX_BODY_BYTES: positiveInt.default(1_048_576).describe("Largest request body accepted (413 above)"),
  CHAT_STREAM_URL: optionalText
    .pipe(z.url({ protocol: /^https?$/ }).optional())
    .describe(
      "Where the chat page streams answers from when /chat/stream is not on its own origin (deployed: the chatStream function URL); unset: the page's origin",
    ),
  CORS_ORIGINS: optionalText.describe(
    "Comma-separated origins allowed to call the API from a browser (credentials allowed); unset: same origin only",
  ),
  CHAT_HISTORY_REQUIRED: booleanFlag
    .default(false)
    .describe("With Redis down, 503 for chat instead of answering without history (with a warning)"),
});

/** Settings as the schema reads them; `Settings` adds the resolved sources. */
export type BaseSettings = z.infer<typeof settingsSchema>;
/** Settings that need others: checked beside the schema so they are listed with every other problem. */
export function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const isSet = (key: string) => Boolean(env[key]?.trim());
  if (env.LLM_PROVIDER === "gemini" && !isSet("GEMINI_API_KEY")) {
    problems.push("GEMINI_API_KEY: required when LLM_PROVIDER=gemini");
  }
  if (env.LLM_PROVIDER === "openai" && !isSet("OPENAI_BASE_URL")) {
    problems.push("OPENAI_BASE_URL: required when LLM_PROVIDER=openai");
  }
  if (isSet("API_KEYS") && isSet("API_KEYS_FILE"))
    problems.push("API_KEYS_FILE: set either API_KEYS or API_KEYS_FILE, not both");
  if (env.CORS_ORIGINS?.split(",").some((origin) => origin.trim() === "*"))
    problems.push("CORS_ORIGINS: '*' is not allowed (credentials are sent); list the origins");
  if (isSet("SOURCES") && isSet("SOURCES_FILE"))
    problems.push("SOURCES_FILE: set either SOURCES or SOURCES_FILE, not both");
  return problems;
}

/** Keys whose values are secrets: never logged, never returned. */
export const secretSettings = [
  "GEMINI_API_KEY",
  "OPENAI_API_KEY",
  "KAFKA_SASL_PASSWORD",
  // A connection URL may carry its password.
  "SEARCH_DATABASE_URL",
] as const satisfies readonly (keyof BaseSettings)[];
