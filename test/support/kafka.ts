import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { Kafka } from "kafkajs";
import { uniqueName } from "./services.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

/** Publishes lines with Kafka's own console producer (from the Kafka jars), as an outside client would. */
export async function consoleProduce(brokers: string, topic: string, lines: readonly string[]): Promise<void> {
  const script = `source scripts/services/lib.sh && source scripts/services/kafka.sh && KAFKA_BOOTSTRAP=${brokers} && printf '%s\\n' "$@" | kafka_console_producer ${topic}`;
  await run("bash", ["-c", script, "produce", ...lines], { cwd: root, timeout: 60_000 });
}

/**
 * Every message currently in a topic (and at least `expectAtLeast`), read from the beginning by a
 * throwaway consumer group. Fails when they have not all arrived within `timeoutMs`: a check over
 * what was read must never pass on a read that stopped short.
 */
export async function readTopic(kafka: Kafka, topic: string, expectAtLeast = 0, timeoutMs = 20_000): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName("reader") });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const total = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
    const wanted = Math.max(total, expectAtLeast);
    if (wanted === 0) return values;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${values.length} of ${wanted} messages from ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString("utf8") ?? "");
          if (values.length >= wanted) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    return values;
  } finally {
    await consumer.disconnect();
  }
}
