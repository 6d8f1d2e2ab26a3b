import type { z } from "zod";
import type { MessagePublisher } from "../../core/messaging/index.js";
import { encodeKafkaEvent, type KafkaEvent } from "../events/shared/lambda-event.js";

export type EventHandler = (event: KafkaEvent) => Promise<unknown>;

export interface InProcessBusOptions {
  topicPrefix?: string;
  /** A handler threw: Kafka would redeliver; here the event is reported and dropped. */
  onHandlerError?: (topic: string, error: unknown) => void;
  /** A message for a topic nobody subscribed to (dead letters, vector-updates). */
  onUnrouted?: (topic: string, key: string | null, value: string) => void;
}

/**
 * Development only: delivers published messages to subscribed handlers in Lambda's Kafka event
 * shape, one event at a time per topic, in this process. Nothing is persisted, so a restart
 * loses whatever was queued; deployments and tests of the async path use real Kafka.
 */
export class InProcessBus implements MessagePublisher {
  private readonly handlers = new Map<string, EventHandler>();
  private readonly nextOffset = new Map<string, number>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly options: InProcessBusOptions;

  constructor(options: InProcessBusOptions = {}) {
    this.options = options;
  }

  topic(name: string): string {
    return `${this.options.topicPrefix ?? ""}${name}`;
  }

  /** `topic` is the full name, as a Kafka event-source mapping names it. */
  subscribe(topic: string, handler: EventHandler): void {
    this.handlers.set(topic, handler);
  }

  async publish<T>(topic: string, key: string, schema: z.ZodType<T>, messages: readonly T[]): Promise<void> {
    if (messages.length === 0) return;
    const values = messages.map((message) => JSON.stringify(schema.parse(message)));
    this.deliver(this.topic(topic), key, values);
  }

  async publishRaw(topic: string, key: string | null, value: string): Promise<void> {
    this.deliver(topic, key, [value]);
  }

  /** Resolves once every queued event has been handled, including events those handlers published. */
  async idle(): Promise<void> {
    let pending = [...this.queues.values()];
    while (pending.length) {
      await Promise.all(pending);
      const now = [...this.queues.values()];
      pending = now.some((queue, index) => queue !== pending[index]) || now.length !== pending.length ? now : [];
    }
  }

  async close(): Promise<void> {
    await this.idle();
  }

  private deliver(topic: string, key: string | null, values: readonly string[]): void {
    const handler = this.handlers.get(topic);
    if (!handler) {
      for (const value of values) this.options.onUnrouted?.(topic, key, value);
      return;
    }
    const first = this.nextOffset.get(topic) ?? 0;
    this.nextOffset.set(topic, first + values.length);
    const event = encodeKafkaEvent(
      values.map((value, index) => ({ topic, partition: 0, offset: first + index, key, value })),
    );
    // Chained per topic: the next event starts after this one settles, like one partition.
    const queued = (this.queues.get(topic) ?? Promise.resolve())
      .then(() => handler(event))
      .then(
        () => undefined,
        (error: unknown) => this.options.onHandlerError?.(topic, error),
      );
    this.queues.set(topic, queued);
  }
}
