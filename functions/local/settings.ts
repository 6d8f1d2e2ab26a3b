import { ConfigError, loadConfig, type Settings } from "../../core/config/index.js";

/**
 * Settings for the local entry points (server, workers, CLI): the environment over `.env`.
 * A bad configuration prints its one message listing every problem and exits with status 2.
 */
export function loadLocalSettings(): Settings {
  try {
    return loadConfig({ dotEnvPath: ".env" });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
