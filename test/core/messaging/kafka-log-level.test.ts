import { logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { kafkaLogLevel } from "../../../core/messaging/kafka-client.js";

const response = (error: string) => ({
  timestamp: "2026-11-30T00:00:00.000Z",
  logger: "kafkajs",
  message: "Response ListOffsets(key: 2, version: 3)",
  error,
});

describe("kafkajs log entries through pino", () => {
  it("logs a broker's retriable error response (leadership moving) as a warning, since kafkajs retries it", () => {
    expect(kafkaLogLevel(logLevel.ERROR, response("This server is not the leader for that topic-partition"))).toBe(
      "warn",
    );
  });

  it("keeps every other error an error, and other levels as they are", () => {
    expect(
      kafkaLogLevel(logLevel.ERROR, response("Not authorized to access topics: [Topic authorization failed]")),
    ).toBe("error");
    expect(
      kafkaLogLevel(logLevel.ERROR, {
        timestamp: "",
        logger: "kafkajs",
        message: "Crash: KafkaJSNumberOfRetriesExceeded",
      }),
    ).toBe("error");
    expect(kafkaLogLevel(logLevel.WARN, response("anything"))).toBe("warn");
    expect(kafkaLogLevel(logLevel.INFO, response("anything"))).toBe("info");
  });
});
