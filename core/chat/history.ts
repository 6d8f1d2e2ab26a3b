import type { Redis } from "ioredis";
import { z } from "zod";
import { InvalidInputError } from "../errors/index.js";
import { guardRedis as guard, readyRedis } from "../redis/index.js";
import type { ChatToolCall } from "./tools.js";

/**
 * A user name as a Redis key segment: a fixed alphabet with no ':' and no wildcard, so one
 * user's key can never be another's, nor match a pattern meant for someone else.
 */
export const userNamePattern = /^[A-Za-z0-9._@-]{1,64}$/;

export const userNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(userNamePattern, "user names are 1–64 characters of A–Z, a–z, 0–9, '.', '_', '@', '-'");

/** One stored message. `index` grows with every message a user sends or receives, across trims. */
export interface HistoryMessage {
  index: number;
  role: "user" | "assistant";
  content: string;
  /** ISO 8601, UTC. */
  timestamp: string;
  /** The provider that wrote an assistant message. */
  provider?: string | undefined;
  /** The tools the model called for an assistant message, with what they returned (rows capped). */
  tool_calls?: StoredToolCall[] | undefined;
}

/** Rows of a query result kept in history: enough to read the answer's [Qn] again, not a copy of the table. */
export const storedQueryRows = 20;

const storedToolCallSchema = z.object({
  name: z.string(),
  arguments: z.unknown(),
  label: z.string().optional(),
  rows: z.array(z.record(z.string(), z.unknown())).optional(),
  row_count: z.number().int().optional(),
  truncated: z.boolean().optional(),
  cited_sources: z.array(z.number().int()).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type StoredToolCall = z.infer<typeof storedToolCallSchema>;

const storedMessageSchema = z.object({
  index: z.number().int(),
  role: z.enum(["user", "assistant"]),
  content: z.string(),
  timestamp: z.string(),
  provider: z.string().optional(),
  tool_calls: z.array(storedToolCallSchema).optional(),
});

/** A turn's tool calls as history keeps them: each query's label and first rows, each search's row numbers, each error. */
export function storedToolCalls(calls: readonly ChatToolCall[]): StoredToolCall[] {
  return calls.map((call) => {
    const stored: StoredToolCall = { name: call.name, arguments: call.arguments };
    if (call.error) stored.error = call.error;
    else if (call.result && "label" in call.result) {
      stored.label = call.result.label;
      stored.rows = call.result.rows.slice(0, storedQueryRows);
      stored.row_count = call.result.rows.length;
      stored.truncated = call.result.truncated;
    } else if (call.result) stored.cited_sources = call.result.sources.map((source: { n: number }) => source.n);
    return stored;
  });
}

export interface HistorySettings {
  REDIS_KEY_PREFIX: string;
  CHAT_HISTORY_MAX_MESSAGES: number;
  CHAT_HISTORY_TTL_SECONDS: number;
}

export interface HistoryDependencies {
  settings: HistorySettings;
  redis: Redis | undefined;
}

export interface HistoryPage {
  /** Oldest first. */
  messages: HistoryMessage[];
  /** Pass as `before` for the next older page; absent on the oldest page. */
  nextBefore: number | undefined;
}

/** Both turns of one exchange, saved together once the answer is complete. */
export interface Exchange {
  question: string;
  answer: string;
  provider: string;
  /** When the answer completed; defaults to now. */
  at?: Date;
  toolCalls?: StoredToolCall[];
}

/** Appends a question and its answer atomically, trims the list to the cap and renews the TTL. */
export async function saveExchange(dependencies: HistoryDependencies, user: string, exchange: Exchange): Promise<void> {
  const { redis, keys } = await open(dependencies, user);
  const { CHAT_HISTORY_MAX_MESSAGES: cap, CHAT_HISTORY_TTL_SECONDS: ttl } = dependencies.settings;
  const timestamp = (exchange.at ?? new Date()).toISOString();
  await guard(async () => {
    // The counter lives beside the list so indexes keep growing after trims and never repeat.
    const last = await redis.incrby(keys.sequence, 2);
    const question: HistoryMessage = { index: last - 1, role: "user", content: exchange.question, timestamp };
    const answer: HistoryMessage = {
      index: last,
      role: "assistant",
      content: exchange.answer,
      timestamp,
      provider: exchange.provider,
      ...(exchange.toolCalls?.length ? { tool_calls: exchange.toolCalls } : {}),
    };
    const results = await redis
      .multi()
      .rpush(keys.list, JSON.stringify(question), JSON.stringify(answer))
      .ltrim(keys.list, -cap, -1)
      .expire(keys.list, ttl)
      .expire(keys.sequence, ttl)
      .exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error("redis transaction was discarded");
  });
}

/**
 * A page of a user's history, oldest first: the `limit` newest messages older than `before`
 * (an index from a previous page), or the newest ones when `before` is omitted.
 *
 * @example const { messages, nextBefore } = await readHistory(context, "ada", { limit: 20 })
 */
export async function readHistory(
  dependencies: HistoryDependencies,
  user: string,
  options: { limit: number; before?: number | undefined },
): Promise<HistoryPage> {
  const { redis, keys } = await open(dependencies, user);
  // The list is capped (CHAT_HISTORY_MAX_MESSAGES), so reading it whole is cheap and keeps paging exact.
  const stored = await guard(() => redis.lrange(keys.list, 0, -1));
  const messages = inOrder(stored.flatMap(parseMessage));
  const { before } = options;
  const older = before === undefined ? messages : messages.filter((message) => message.index < before);
  const page = options.limit > 0 ? older.slice(-options.limit) : [];
  const hasOlder = older.length > page.length;
  return { messages: page, nextBefore: hasOlder ? page[0]?.index : undefined };
}

/** The last `turns` exchanges, oldest first, as prompt history. */
export async function recentTurns(
  dependencies: HistoryDependencies,
  user: string,
  turns: number,
): Promise<HistoryMessage[]> {
  if (turns <= 0) return [];
  const { redis, keys } = await open(dependencies, user);
  const stored = await guard(() => redis.lrange(keys.list, -2 * turns, -1));
  const messages = inOrder(stored.flatMap(parseMessage));
  // A trim may have cut an exchange in half; a history that opens with an answer confuses models.
  return messages[0]?.role === "assistant" ? messages.slice(1) : messages;
}

/** Deletes a user's history; resolves with whether there was any. */
export async function clearHistory(dependencies: HistoryDependencies, user: string): Promise<boolean> {
  const { redis, keys } = await open(dependencies, user);
  const deleted = await guard(() => redis.del(keys.list, keys.sequence));
  return deleted > 0;
}

/** The Redis key of a user's history list. */
export function historyKey(prefix: string, user: string): string {
  return `${prefix}history:${user}`;
}

async function open(dependencies: HistoryDependencies, user: string) {
  const parsed = userNameSchema.safeParse(user);
  if (!parsed.success) {
    throw new InvalidInputError(`Invalid user_name: ${parsed.error.issues[0]?.message ?? "not allowed"}`, {
      field: "user_name",
    });
  }
  const redis = await readyRedis(dependencies.redis, { purpose: "chat history" });
  const prefix = dependencies.settings.REDIS_KEY_PREFIX;
  return { redis, keys: { list: historyKey(prefix, parsed.data), sequence: `${prefix}history-seq:${parsed.data}` } };
}

/**
 * By index: two exchanges of one user saved at once can reach the list in the opposite
 * order to the counter, and paging by `before` relies on index order.
 */
function inOrder(messages: HistoryMessage[]): HistoryMessage[] {
  return messages.sort((a, b) => a.index - b.index);
}

function parseMessage(raw: string): HistoryMessage[] {
  try {
    const parsed = storedMessageSchema.safeParse(JSON.parse(raw));
    return parsed.success ? [parsed.data] : [];
  } catch {
    return []; // A foreign or corrupt entry is skipped rather than failing the whole history.
  }
}
