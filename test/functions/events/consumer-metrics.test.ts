import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AppContext } from "../../../core/context/index.js";
import { type MessagePublisher, topics } from "../../../core/messaging/index.js";
import { createConsumer } from "../../../functions/events/shared/consumer.js";
import { encodeKafkaEvent } from "../../../functions/events/shared/lambda-event.js";
import { setMetricsMode } from "../../../functions/shared/emf.js";
import { createTestContext } from "../../support/app-context.js";
import { captureEmf, type EmfLine } from "../../support/emf.js";

const prefix = "run42.";

/** A publisher without a broker: records dead letters, or refuses them when `down`. */
function recordingPublisher(options: { down: boolean }): MessagePublisher & { deadLetters: string[] } {
  const deadLetters: string[] = [];
  return {
    deadLetters,
    topic: (name) => `${prefix}${name}`,
    publish: async () => undefined,
    publishRaw: async (topic) => {
      if (options.down) throw new Error("broker unreachable");
      deadLetters.push(topic);
    },
    close: async () => undefined,
  };
}

describe("consumer batches: one log line each, EMF after each event", () => {
  const logLines: Record<string, unknown>[] = [];
  let emf: EmfLine[] = [];
  let base: AppContext;

  beforeAll(() => {
    base = createTestContext({ METRICS_MODE: "emf", KAFKA_TOPIC_PREFIX: prefix });
  });
  afterAll(() => base?.close());
  afterEach(() => {
    logLines.length = 0;
    emf = [];
    setMetricsMode("prometheus");
  });

  const consumerWith = (publisher: MessagePublisher) => {
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const context: AppContext = { ...base, logger, publisher };
    return createConsumer(
      {
        name: "test-consumer",
        schema: z.object({ n: z.number() }),
        handle: async () => undefined,
      },
      () => context,
    );
  };
  /** Every event flushes EMF (the context's mode is emf); the lines are kept, off the test's output. */
  const consume = async (publisher: MessagePublisher) => {
    const stdout = captureEmf();
    try {
      return await consumerWith(publisher)(event);
    } finally {
      stdout.restore();
      emf = stdout.lines;
    }
  };
  const event = encodeKafkaEvent(
    [40, 41, 42].map((offset) => ({
      topic: `${prefix}${topics.batchStatus}`,
      partition: 1,
      offset,
      key: "k",
      // The last record is a poison one: not JSON.
      value: offset === 42 ? "{secret text" : JSON.stringify({ n: offset }),
    })),
  );

  it("logs topic, partitions, offsets, records, duration and the outcome, never the message text", async () => {
    const publisher = recordingPublisher({ down: false });
    const { outcomes } = await consume(publisher);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["ok", "ok", "dead-lettered"]);
    const batches = logLines.filter((line) => line.msg === "consumer batch");
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({
      consumer: "test-consumer",
      topic: `${prefix}${topics.batchStatus}`,
      partitions: [1],
      first_offset: 40,
      last_offset: 42,
      records: 3,
      dead_lettered: 1,
      outcome: "dead_lettered",
    });
    expect(batches[0]?.duration_ms).toEqual(expect.any(Number));
    expect(JSON.stringify(logLines)).not.toContain("secret text");
  });

  it("logs a failed batch when a dead letter cannot be written, then rethrows so nothing is committed", async () => {
    await expect(consume(recordingPublisher({ down: true }))).rejects.toThrow("broker unreachable");
    expect(logLines.filter((line) => line.msg === "consumer batch")).toMatchObject([{ outcome: "failed", records: 3 }]);
  });

  it("writes the event's Kafka metrics as EMF after each event, topic labelled without the prefix", async () => {
    await consume(recordingPublisher({ down: false }));
    const consumed = emf.filter((line) => "cwd_kafka_messages_consumed_total" in line);
    expect(consumed.map((line) => [line.topic, line.outcome, line.cwd_kafka_messages_consumed_total])).toEqual([
      [topics.batchStatus, "ok", 2],
      [topics.batchStatus, "dead_lettered", 1],
    ]);
    expect(emf.find((line) => "cwd_kafka_dead_letters_total" in line)).toMatchObject({
      topic: topics.batchStatus,
      cwd_kafka_dead_letters_total: 1,
    });
    expect(
      emf.find((line) => "cwd_kafka_handler_duration_seconds" in line)?.cwd_kafka_handler_duration_seconds,
    ).toHaveLength(3);
  });
});
