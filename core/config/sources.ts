import { readFileSync } from "node:fs";
import { z } from "zod";
import { unreachable } from "../errors/index.js";

/**
 * Source names appear in ids, metadata, Kafka keys and collection names: keep them plain.
 * No regex flags: the OpenAPI generator writes `pattern` from the source alone (an `i` became "$/i").
 */
export const sourceNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/,
    "use letters, digits, '_' or '-' (at most 63, starting with a letter or digit)",
  );

const envReference = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, "must name an environment variable")
  .optional();

/**
 * Tables (collections, files) POST /query may read; absent: the tables that have been ingested
 * (those with sync state). An empty list closes the source to queries.
 */
const queryTables = z.array(z.string().min(1).max(256)).max(1_000).optional();

const postgresSource = z.object({
  name: sourceNameSchema,
  kind: z.literal("postgresql"),
  description: z.string().optional(),
  query_tables: queryTables,
  /** A full connection string; or host/port/database/user with the password from `password_env`. */
  url: z.string().optional(),
  url_env: envReference,
  host: z.string().optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  database: z.string().optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  password_env: envReference,
  schema: z.string().default("public"),
  max_connections: z.number().int().min(1).max(50).default(4),
  /**
   * Lets a chat model run its own SELECT (the `sql` tool) over the tables open to queries: parsed with
   * PostgreSQL's parser and refused unless one read-only SELECT of allowed tables, columns and functions. Off when absent.
   */
  allow_sql: z.boolean().optional(),
});

const mongoSource = z.object({
  name: sourceNameSchema,
  kind: z.literal("mongodb"),
  description: z.string().optional(),
  query_tables: queryTables,
  url: z.string().optional(),
  url_env: envReference,
  database: z.string().min(1),
});

const fileSource = z.object({
  name: sourceNameSchema,
  kind: z.enum(["csv", "jsonl"]),
  description: z.string().optional(),
  query_tables: queryTables,
  /** A folder under DATA_DIR; its files of this kind are the source's tables. */
  path: z.string().default("."),
});

export const sourceDefinitionSchema = z.discriminatedUnion("kind", [postgresSource, mongoSource, fileSource]);
export type SourceDefinitionInput = z.input<typeof sourceDefinitionSchema>;

export type PostgresSourceConfig = Omit<
  z.infer<typeof postgresSource>,
  "url_env" | "password_env" | "password" | "url"
> & {
  /** Complete connection string with any secret resolved; never logged or returned. */
  connectionString: string;
};
export type MongoSourceConfig = Omit<z.infer<typeof mongoSource>, "url_env" | "url"> & { url: string };
export type FileSourceConfig = z.infer<typeof fileSource>;
export type SourceConfig = PostgresSourceConfig | MongoSourceConfig | FileSourceConfig;

/** The sample data `npm start` ingests when nothing else is configured. */
export const defaultSources: SourceDefinitionInput[] = [
  { name: "samples", kind: "csv", path: "samples", description: "Sample product catalogue (CSV)" },
  { name: "samples-jsonl", kind: "jsonl", path: "samples", description: "Sample support articles (JSONL)" },
];

/**
 * Parses SOURCES (JSON) or SOURCES_FILE and resolves `*_env` secrets from the environment.
 * Returns the problems instead of throwing, so they join the other settings' problems.
 */
export function resolveSources(
  raw: { json: string | undefined; file: string | undefined },
  env: Record<string, string | undefined>,
): { sources: SourceConfig[]; problems: string[] } {
  const problems: string[] = [];
  let input: unknown = defaultSources;
  try {
    if (raw.file) input = JSON.parse(readFileSync(raw.file, "utf8"));
    else if (raw.json?.trim()) input = JSON.parse(raw.json);
  } catch (error) {
    const where = raw.file ? `SOURCES_FILE (${raw.file})` : "SOURCES";
    return { sources: [], problems: [`${where}: not readable JSON (${(error as Error).message.split("\n")[0]})`] };
  }
  const parsed = z.array(sourceDefinitionSchema).safeParse(input);
  if (!parsed.success) {
    return {
      sources: [],
      problems: parsed.error.issues.map((issue) => `SOURCES[${issue.path.join(".")}]: ${issue.message}`),
    };
  }
  const sources: SourceConfig[] = [];
  const seen = new Set<string>();
  for (const definition of parsed.data) {
    const label = `SOURCES[${definition.name}]`;
    if (seen.has(definition.name)) problems.push(`${label}: duplicate source name`);
    seen.add(definition.name);
    const fromEnv = (key: string | undefined, what: string): string | undefined => {
      if (!key) return undefined;
      const value = env[key];
      if (!value) problems.push(`${label}: ${what} variable ${key} is not set`);
      return value;
    };
    switch (definition.kind) {
      case "postgresql": {
        const { url, url_env, password, password_env, ...rest } = definition;
        const connectionString =
          fromEnv(url_env, "url") ?? url ?? buildPostgresUrl(definition, fromEnv(password_env, "password") ?? password);
        // An unset url_env is already named; "give url…" would only repeat it less precisely.
        if (connectionString) sources.push({ ...rest, connectionString });
        else if (!url_env) problems.push(`${label}: give url, url_env, or host and database`);
        break;
      }
      case "mongodb": {
        const { url, url_env, ...rest } = definition;
        const resolved = fromEnv(url_env, "url") ?? url;
        if (resolved) sources.push({ ...rest, url: resolved });
        else if (!url_env) problems.push(`${label}: give url or url_env`);
        break;
      }
      case "csv":
      case "jsonl":
        sources.push(definition);
        break;
      default:
        unreachable(definition, "source kind");
    }
  }
  return { sources, problems };
}

function buildPostgresUrl(
  definition: {
    host?: string | undefined;
    port?: number | undefined;
    database?: string | undefined;
    user?: string | undefined;
  },
  password: string | undefined,
): string | undefined {
  if (!definition.host || !definition.database) return undefined;
  const url = new URL("postgresql://placeholder");
  url.hostname = definition.host;
  if (definition.port) url.port = String(definition.port);
  url.pathname = `/${encodeURIComponent(definition.database)}`;
  if (definition.user) url.username = encodeURIComponent(definition.user);
  if (password) url.password = encodeURIComponent(password);
  return url.toString();
}
