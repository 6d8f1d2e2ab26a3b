export { ConfigError } from "./errors.js";
export { type LoadConfigOptions, loadConfig } from "./load.js";
export { type Settings, secretSettings, settingsSchema } from "./schema.js";
export { settingsTable } from "./table.js";
