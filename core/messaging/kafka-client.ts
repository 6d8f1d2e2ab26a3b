import { Kafka, type LogEntry, logLevel, type SASLOptions } from "kafkajs";
import protocol from "kafkajs/src/protocol/error.js";
import type { Logger } from "../logging/index.js";

export interface KafkaSettings {
  brokers: string;
  clientId: string;
  ssl?: boolean;
  sasl?: SASLOptions;
}

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * kafkajs logs a broker's error response at ERROR before its own retry deals with it. Those the protocol
 * marks retriable (leadership moving, a topic just created) are routine, so they are logged as warnings;
 * an operator's alert on errors then means something.
 */
const retriableMessages = new Set(protocol.errorCodes.filter((error) => error.retriable).map((error) => error.message));

/** The pino level for one kafkajs log entry. */
export function kafkaLogLevel(level: number, log: LogEntry["log"]): "error" | "warn" | "info" | "debug" {
  const name = levels[level] ?? "info";
  return name === "error" && typeof log.error === "string" && retriableMessages.has(log.error) ? "warn" : name;
}

/** The kafkajs client, logging through pino rather than its own console format. */
export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const kafkaLogger = logger.child({ component: "kafka" });
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers
      .split(",")
      .map((broker) => broker.trim())
      .filter(Boolean),
    connectionTimeout: 3_000,
    ssl: settings.ssl ?? false,
    ...(settings.sasl ? { sasl: settings.sasl } : {}),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        kafkaLogger[kafkaLogLevel(level, log)](extra, message);
      },
  });
}
