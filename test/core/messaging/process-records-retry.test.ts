import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AppContext } from "../../../core/context/index.js";
import { ComponentUnavailableError } from "../../../core/errors/index.js";
import {
  type DeadLetter,
  type DecodedRecord,
  deadLetterTopic,
  ensureTopics,
  processRecords,
  topics,
} from "../../../core/messaging/index.js";
import { createTestContext } from "../../support/app-context.js";
import { readTopic } from "../../support/kafka.js";
import { uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

const schema = z.object({ job: z.string() });
const backoffMs = 40;

/**
 * A record that keeps failing with a retryable error is tried 3 times with backoff, then goes to
 * `<topic>.dlq` with its original bytes (docs/operations.md), written through the real Kafka publisher.
 */
describe("processRecords retries a retryable failure, then dead-letters it", { timeout: 120_000 }, () => {
  const run = uniqueName("retrydlq").replace(/-/g, "_");
  const topicPrefix = `${run}.`;
  let context: AppContext;

  beforeAll(async () => {
    context = createTestContext({ KAFKA_TOPIC_PREFIX: topicPrefix, KAFKA_GROUP_PREFIX: run });
    if (!context.kafka) throw new Error("tests run with Kafka");
    await ensureTopics(context.kafka, 1, topicPrefix);
  });

  afterAll(async () => {
    await releaseRun(context, { topicPrefix });
  });

  it("a record failing twice then succeeding is handled once; one that always fails is tried 3 times and dead-lettered", async () => {
    const kafka = context.kafka;
    if (!kafka) throw new Error("tests run with Kafka");
    const { publisher } = context.requirePublisher();
    const topic = publisher.topic(topics.syncRequests);
    const recovering = '{"job":"recovers"}';
    const hopeless = '{"job":"never"}';
    const record = (offset: number, key: string, value: string): DecodedRecord => ({
      topic,
      partition: 0,
      offset,
      key,
      value: Buffer.from(value, "utf8"),
      headers: {},
    });

    const calls: { job: string; offset: number; at: number }[] = [];
    const succeeded: string[] = [];
    const deadLettered: { message: unknown; error: string }[] = [];
    const outcomes = await processRecords([record(10, "k-recovers", recovering), record(11, "k-never", hopeless)], {
      schema,
      publisher,
      logger: context.logger,
      backoffMs,
      handle: async (message, consumed) => {
        const attempt = calls.filter((call) => call.job === message.job).length + 1;
        calls.push({ job: message.job, offset: consumed.offset, at: performance.now() });
        if (message.job === "recovers" && attempt >= 3) {
          succeeded.push(message.job);
          return;
        }
        throw new ComponentUnavailableError("chroma", {
          message: `chroma is unavailable (${message.job} #${attempt})`,
        });
      },
      onDeadLetter: async (message, error) => {
        deadLettered.push({ message, error });
      },
    });

    expect(outcomes).toEqual([
      { topic, partition: 0, offset: 10, status: "ok", attempts: 3 },
      {
        topic,
        partition: 0,
        offset: 11,
        status: "dead-lettered",
        attempts: 3,
        error: "ComponentUnavailableError: chroma is unavailable (never #3)",
      },
    ]);
    expect(calls.map((call) => [call.job, call.offset])).toEqual([
      ["recovers", 10],
      ["recovers", 10],
      ["recovers", 10],
      ["never", 11],
      ["never", 11],
      ["never", 11],
    ]);
    expect(succeeded).toEqual(["recovers"]);
    expect(deadLettered).toEqual([
      { message: { job: "never" }, error: "ComponentUnavailableError: chroma is unavailable (never #3)" },
    ]);

    // Backoff: backoffMs before the second attempt, twice that before the third (timers may fire 1 ms early).
    for (const job of ["recovers", "never"]) {
      const at = calls.filter((call) => call.job === job).map((call) => call.at);
      expect((at[1] ?? 0) - (at[0] ?? 0), job).toBeGreaterThanOrEqual(backoffMs - 1);
      expect((at[2] ?? 0) - (at[1] ?? 0), job).toBeGreaterThanOrEqual(2 * backoffMs - 1);
    }

    // Only the record that kept failing is on the dead-letter topic, with its original bytes.
    const letters = (await readTopic(kafka, deadLetterTopic(topic), 1)).map((value) => JSON.parse(value) as DeadLetter);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toEqual({
      topic,
      partition: 0,
      offset: "11",
      key: "k-never",
      value_base64: Buffer.from(hopeless, "utf8").toString("base64"),
      error: "ComponentUnavailableError: chroma is unavailable (never #3)",
      attempts: 3,
      failed_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect(Buffer.from(letters[0]?.value_base64 ?? "", "base64").toString("utf8")).toBe(hopeless);
  });

  it("maxAttempts bounds the tries of a plain (non-AppError) failure", async () => {
    const kafka = context.kafka;
    if (!kafka) throw new Error("tests run with Kafka");
    const { publisher } = context.requirePublisher();
    const topic = publisher.topic(topics.batchStatus);
    const value = '{"job":"flaky"}';
    let tries = 0;
    const outcomes = await processRecords(
      [{ topic, partition: 0, offset: 3, key: null, value: Buffer.from(value), headers: {} }],
      {
        schema,
        publisher,
        logger: context.logger,
        backoffMs: 1,
        maxAttempts: 2,
        handle: async () => {
          tries++;
          throw new Error("socket hang up");
        },
      },
    );
    expect(tries).toBe(2);
    expect(outcomes).toEqual([
      { topic, partition: 0, offset: 3, status: "dead-lettered", attempts: 2, error: "Error: socket hang up" },
    ]);
    const letters = (await readTopic(kafka, deadLetterTopic(topic), 1)).map(
      (letter) => JSON.parse(letter) as DeadLetter,
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      offset: "3",
      key: null,
      attempts: 2,
      value_base64: Buffer.from(value).toString("base64"),
    });
  });
});
