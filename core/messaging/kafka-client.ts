import { Kafka, type LogEntry, logLevel, type SASLOptions } from "kafkajs";
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
        kafkaLogger[levels[level] ?? "info"](extra, message);
      },
  });
}
