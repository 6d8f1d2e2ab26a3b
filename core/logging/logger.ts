import { type Logger, pino } from "pino";
import type { Settings } from "../config/index.js";

export type { Logger };

/**
 * Paths pino blanks wherever they appear in a log object: credentials travel in these
 * fields (headers, inline connection params, provider keys), and logs must never hold them.
 */
export const redactedPaths = [
  "password",
  "*.password",
  "apiKey",
  "*.apiKey",
  "api_key",
  "*.api_key",
  "connection_params",
  "*.connection_params",
  "connectionString",
  "*.connectionString",
  "headers.authorization",
  'headers["x-api-key"]',
  "*.headers.authorization",
  '*.headers["x-api-key"]',
];

/** The process's JSON logger; one per process, children carry a request id or a topic. */
export function createLogger(
  settings: Pick<Settings, "LOG_LEVEL" | "SERVICE_NAME">,
  /** Where lines go; stdout by default (tests collect them to check what is logged). */
  destination?: pino.DestinationStream,
): Logger {
  const options = {
    level: settings.LOG_LEVEL,
    base: { service: settings.SERVICE_NAME },
    redact: { paths: redactedPaths, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Replaces any URL's user:password part, so a connection string can be logged or shown safely. */
export function maskUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(:[^/@\s]*)?@/gi, "$1***@");
}
