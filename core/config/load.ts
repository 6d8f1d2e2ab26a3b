import { existsSync, readFileSync } from "node:fs";
import { parse as parseDotEnv } from "dotenv";
import { type ApiKeyConfig, resolveApiKeys } from "./api-keys.js";
import { ConfigError } from "./errors.js";
import { type BaseSettings, crossFieldProblems, settingsSchema } from "./schema.js";
import { resolveSources, type SourceConfig } from "./sources.js";

export type Settings = BaseSettings & {
  sources: readonly SourceConfig[];
  /** Empty: authentication is off (local use); see docs/security.md. */
  apiKeys: readonly ApiKeyConfig[];
};

export interface LoadConfigOptions {
  /** Variables to read; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** A .env file merged under the env (real env wins); only the local runner uses one. */
  dotEnvPath?: string;
}

/**
 * Validates every setting at once, so start-up fails with one message listing all problems.
 * @example const config = loadConfig({ dotEnvPath: ".env" });
 */
export function loadConfig(options: LoadConfigOptions = {}): Settings {
  const fromFile =
    options.dotEnvPath && existsSync(options.dotEnvPath) ? parseDotEnv(readFileSync(options.dotEnvPath)) : {};
  const env = { ...fromFile, ...(options.env ?? process.env) };
  const known = Object.fromEntries(Object.keys(settingsSchema.shape).map((key) => [key, env[key]]));
  const result = settingsSchema.safeParse(known);
  const sources = resolveSources({ json: known.SOURCES, file: known.SOURCES_FILE }, env);
  const apiKeys = resolveApiKeys({ json: known.API_KEYS, file: known.API_KEYS_FILE });
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)),
    ...crossFieldProblems(known),
    ...sources.problems,
    ...apiKeys.problems,
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return Object.freeze({
    ...result.data,
    sources: Object.freeze(sources.sources),
    apiKeys: Object.freeze(apiKeys.keys),
  });
}
