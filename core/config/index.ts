export { type ApiKeyConfig, type ApiScope, apiScopes } from "./api-keys.js";
export { ConfigError } from "./errors.js";
export { type LoadConfigOptions, loadConfig, type Settings } from "./load.js";
export { type BaseSettings, llmProviderNames, secretSettings, settingsSchema } from "./schema.js";
export {
  type FileSourceConfig,
  type MongoSourceConfig,
  type PostgresSourceConfig,
  type SourceConfig,
  sourceDefinitionSchema,
  sourceNameSchema,
} from "./sources.js";
export { settingsTable } from "./table.js";
