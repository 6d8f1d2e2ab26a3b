export { createLogger, type Logger, maskUrlCredentials, redactedPaths } from "./logger.js";
