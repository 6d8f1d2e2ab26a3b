import type { z } from "zod";

/**
 * What core needs to send messages: Kafka in every deployment, or the in-process bus when
 * `npm run dev` runs without a broker. Handlers never know which.
 */
export interface MessagePublisher {
  /** The full name of one of the service's topics (`topics.*`), with this deployment's prefix. */
  topic(name: string): string;
  /** Validates against the schema before sending, so no malformed message ever leaves. */
  publish<T>(topic: string, key: string, schema: z.ZodType<T>, messages: readonly T[]): Promise<void>;
  /** Raw text to a full topic name, for dead letters (the original value is kept as it was). */
  publishRaw(topic: string, key: string | null, value: string): Promise<void>;
  close(): Promise<void>;
}
