import type { Redis } from "ioredis";
import type { Settings } from "../config/index.js";
import type { Embedder } from "../embeddings/index.js";
import { ComponentUnavailableError, InvalidInputError } from "../errors/index.js";
import type { KeywordIndex } from "../keyword/index.js";
import type { LlmRequest } from "../llm/index.js";
import { type LlmProvider, type LlmProviderName, resolveProvider } from "../llm/index.js";
import { metrics } from "../metrics/index.js";
import { type RetrievalMode, search } from "../search/index.js";
import type { SourceRegistry } from "../sources/index.js";
import type { MetadataFilters, VectorStore } from "../vectors/index.js";
import { type HistoryMessage, recentTurns, saveExchange, storedToolCalls, userNameSchema } from "./history.js";
import { buildPrompt, type ChatSource, toolSystemPrompt } from "./prompt.js";
import { type QueryableTable, queryableTables } from "./queryable.js";
import { runToolLoop } from "./tool-loop.js";
import { type ChatQueryResult, ChatToolbox, type ChatToolCall } from "./tools.js";

export interface ChatDependencies {
  settings: Settings;
  embedder: Embedder;
  vectors: VectorStore | undefined;
  keywords?: KeywordIndex | undefined;
  redis: Redis | undefined;
  llm: ReadonlyMap<LlmProviderName, LlmProvider>;
  /** For the `query` tool: the tables open to queries and running them. */
  sources: SourceRegistry;
}

export interface ChatRequest {
  /** Whose stored history is read and saved; omitted, none is (an anonymous, one-off question). */
  userName?: string | undefined;
  message: string;
  maxResults: number;
  includeHistory: boolean;
  /**
   * Earlier turns the caller keeps itself (an OpenAI-style client sends them with each request),
   * oldest first; used instead of the stored history, and trimmed to the last CHAT_HISTORY_TURNS.
   */
  history?: readonly ConversationTurn[] | undefined;
  filters?: MetadataFilters | undefined;
  /** A configured provider's name; the default one when omitted. */
  provider?: string | undefined;
  /** How sources are retrieved; the service's default (hybrid when the keyword index is configured) when omitted. */
  retrievalMode?: RetrievalMode | undefined;
}

/** One turn of a conversation the caller supplies. */
export interface ConversationTurn {
  role: "user" | "assistant";
  content: string;
}

export interface ChatAnswer {
  response: string;
  /** The prompt's documents, then rows the model's searches found, numbered as cited. */
  sources: ChatSource[];
  /** Every tool call the model made, in order, with its result or error. */
  toolCalls: ChatToolCall[];
  /** The queries that ran, cited as [Q1], [Q2]… */
  queries: ChatQueryResult[];
  /** Absent for an anonymous question (nothing was saved). */
  userName: string | undefined;
  provider: LlmProviderName;
  /** ISO 8601, UTC: when the answer completed. */
  timestamp: string;
  /** What went wrong without stopping the answer, e.g. history that could not be read or saved. */
  warnings: string[];
}

export interface ChatTimings {
  retrieval_ms: number;
  first_token_ms: number | undefined;
  total_ms: number;
}

/** What a streamed answer yields after its sources: text deltas, then the whole answer. */
export type ChatStreamEvent =
  | { type: "tool_call"; id: string; name: string; arguments: unknown }
  | ({ type: "tool_result" } & ChatToolCall)
  | { type: "content"; delta: string }
  | { type: "done"; response: string; timings: ChatTimings; warnings?: string[] };

/** Retrieval done, prompt built, provider chosen: everything before the model is called. */
export interface PreparedChat {
  sources: ChatSource[];
  provider: LlmProvider;
  /** The tools offered to the model; empty for the extractive provider or with CHAT_MAX_TOOL_CALLS=0. */
  tools: string[];
  /** Calls the model; saves the exchange to history once the answer is complete. */
  generate(signal?: AbortSignal): Promise<ChatAnswer>;
  /** Streams the model's answer; saves the exchange before yielding `done`. */
  stream(signal?: AbortSignal): AsyncGenerator<ChatStreamEvent>;
}

/** Said, without calling any model, when retrieval finds nothing: there is nothing to answer from. */
export const noDocumentsAnswer =
  "The data has nothing on this: no stored document matched the question, so I cannot answer it from the data.";

/**
 * Retrieves, reads history and builds the prompt, so a caller can send the sources (and fail
 * with a proper status on a bad provider or a store that is down) before any model is called.
 *
 * @example const chat = await prepareChat(context, request); send(chat.sources); for await (const event of chat.stream(signal)) …
 */
export async function prepareChat(dependencies: ChatDependencies, request: ChatRequest): Promise<PreparedChat> {
  const started = performance.now();
  const { settings } = dependencies;
  const userName = request.userName === undefined ? undefined : validUserName(request.userName);
  const provider = resolveProvider(dependencies.llm, request.provider);
  const warnings: string[] = [];
  const offerTools = provider.supportsTools && settings.CHAT_MAX_TOOL_CALLS > 0;
  const [retrieved, history, tables] = await Promise.all([
    search(dependencies, {
      query: request.message,
      maxResults: request.maxResults,
      filters: request.filters,
      minScore: settings.CHAT_MIN_SCORE,
      mode: request.retrievalMode,
    }),
    conversation(dependencies, request, userName, warnings),
    offerTools ? queryableTables(dependencies, request.filters, warnings) : ([] as QueryableTable[]),
  ]);
  warnings.push(...retrieved.warnings);
  const prompt = buildPrompt({
    question: request.message,
    history,
    matches: retrieved.results,
    contextTokens: settings.CHAT_CONTEXT_TOKENS,
  });
  // With nothing retrieved a search would find nothing either; a query still might.
  const toolbox =
    offerTools && (prompt.sources.length > 0 || tables.length > 0)
      ? new ChatToolbox({ dependencies, filters: request.filters, tables, sources: prompt.sources })
      : undefined;
  const modelRequest: LlmRequest = toolbox
    ? { ...prompt.request, system: toolSystemPrompt, tools: toolbox.definitions }
    : prompt.request;
  const calls: ChatToolCall[] = [];
  const retrievalMs = performance.now() - started;
  metrics.chatTimeToSources.observe({ provider: provider.name }, retrievalMs / 1000);

  const finish = async (response: string): Promise<ChatAnswer> => {
    const completed = new Date();
    if (userName !== undefined) {
      await withoutHistoryIfDown(
        settings,
        warnings,
        () =>
          saveExchange(dependencies, userName, {
            question: request.message,
            answer: response,
            provider: provider.name,
            at: completed,
            ...(calls.length ? { toolCalls: storedToolCalls(calls) } : {}),
          }),
        undefined,
      );
    }
    return {
      response,
      sources: [...prompt.sources, ...(toolbox?.foundSources ?? [])],
      toolCalls: calls,
      queries: toolbox?.queries ?? [],
      userName,
      provider: provider.name,
      timestamp: completed.toISOString(),
      warnings: [...new Set(warnings)],
    };
  };

  /** The model's text as it comes, and each tool call with its outcome, recorded for the answer. */
  async function* events(streaming: boolean, signal: AbortSignal | undefined): AsyncGenerator<ChatStreamEvent> {
    if (!toolbox) {
      const deltas = replyText(provider, prompt.request, prompt.sources.length, streaming, signal);
      for await (const delta of deltas) yield { type: "content", delta };
      return;
    }
    const loop = runToolLoop({
      provider,
      request: modelRequest,
      toolbox,
      maxCalls: settings.CHAT_MAX_TOOL_CALLS,
      streaming,
      signal,
    });
    for await (const event of loop) {
      if (event.type === "tool_result") {
        calls.push(event.call);
        yield { type: "tool_result", ...event.call };
      } else yield event;
    }
  }

  return {
    sources: prompt.sources,
    provider,
    tools: toolbox?.definitions.map((tool) => tool.name) ?? [],
    async generate(signal) {
      let text = "";
      for await (const event of events(false, signal)) if (event.type === "content") text += event.delta;
      const answered = await finish(text);
      metrics.chatSeconds.observe({ provider: provider.name, mode: "whole" }, (performance.now() - started) / 1000);
      return answered;
    },
    async *stream(signal) {
      let response = "";
      let firstTokenMs: number | undefined;
      for await (const event of events(true, signal)) {
        if (event.type === "content") {
          if (firstTokenMs === undefined) {
            firstTokenMs = performance.now() - started;
            metrics.chatTimeToFirstToken.observe({ provider: provider.name }, firstTokenMs / 1000);
          }
          response += event.delta;
        }
        yield event;
      }
      signal?.throwIfAborted();
      const answered = await finish(response);
      metrics.chatSeconds.observe({ provider: provider.name, mode: "stream" }, (performance.now() - started) / 1000);
      yield {
        type: "done",
        response,
        ...(answered.warnings.length ? { warnings: answered.warnings } : {}),
        timings: {
          retrieval_ms: round(retrievalMs),
          first_token_ms: round(firstTokenMs),
          total_ms: round(performance.now() - started),
        },
      };
    },
  };
}

/**
 * Answers one chat message from the stored data, citing sources as [n], and saves the exchange.
 * @example await answer(context, { userName: "ada", message: "What does the desk cost?", maxResults: 5, includeHistory: true })
 */
export async function answer(
  dependencies: ChatDependencies,
  request: ChatRequest,
  signal?: AbortSignal,
): Promise<ChatAnswer> {
  const chat = await prepareChat(dependencies, request);
  return chat.generate(signal);
}

/** The same answer as a stream: `sources` first, then content deltas, then `done`. */
export async function* streamAnswer(
  dependencies: ChatDependencies,
  request: ChatRequest,
  signal?: AbortSignal,
): AsyncGenerator<{ type: "sources"; sources: ChatSource[] } | ChatStreamEvent> {
  const chat = await prepareChat(dependencies, request);
  yield { type: "sources", sources: chat.sources };
  yield* chat.stream(signal);
}

/** The model's text: streamed as its deltas, or whole in one piece; the fixed answer when no document was found. */
async function* replyText(
  provider: LlmProvider,
  request: LlmRequest,
  documents: number,
  streaming: boolean,
  signal: AbortSignal | undefined,
): AsyncGenerator<string> {
  if (documents === 0) {
    yield noDocumentsAnswer;
    return;
  }
  if (!streaming) {
    yield (await provider.generate(request, { signal })).text;
    return;
  }
  for await (const part of provider.stream(request, { signal })) {
    if (part.type === "text-delta" && part.text) yield part.text;
  }
}

/** The turns before the question: the caller's own, else the stored ones when asked for and a user is named. */
async function conversation(
  dependencies: ChatDependencies,
  request: ChatRequest,
  userName: string | undefined,
  warnings: string[],
): Promise<readonly ConversationTurn[]> {
  const turns = dependencies.settings.CHAT_HISTORY_TURNS;
  if (request.history) return turns > 0 ? request.history.slice(-2 * turns) : [];
  if (!request.includeHistory || userName === undefined) return [];
  const stored = await withoutHistoryIfDown(
    dependencies.settings,
    warnings,
    () => recentTurns(dependencies, userName, turns),
    [] as HistoryMessage[],
  );
  return stored.map((message) => ({ role: message.role, content: withQueryNotes(message) }));
}

/**
 * An earlier answer with the query results it cited restated, so a follow-up ("and the second
 * cheapest?") can build on them: the [Qn] labels mean nothing to the model without their rows.
 */
function withQueryNotes(message: HistoryMessage): string {
  const queries = (message.tool_calls ?? []).filter((call) => call.label && call.rows);
  if (!queries.length) return message.content;
  const notes = queries.map(
    (call) =>
      `[${call.label}] ${JSON.stringify(call.arguments)} returned ${call.row_count ?? call.rows?.length} row(s): ${JSON.stringify(call.rows)}`,
  );
  return `${message.content}\n\n(Query results cited above, numbered for that answer only: ${notes.join("; ")})`;
}

/**
 * History is a convenience, the answer is the point: with Redis down the answer goes on without
 * it (and says so), unless CHAT_HISTORY_REQUIRED makes that a 503.
 */
async function withoutHistoryIfDown<T>(
  settings: Settings,
  warnings: string[],
  operation: () => Promise<T>,
  fallback: T,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (settings.CHAT_HISTORY_REQUIRED || !(error instanceof ComponentUnavailableError)) throw error;
    warnings.push("chat history is unavailable (redis): this exchange was answered without it and not saved");
    return fallback;
  }
}

function validUserName(userName: string): string {
  const parsed = userNameSchema.safeParse(userName);
  if (!parsed.success) {
    throw new InvalidInputError(`Invalid user_name: ${parsed.error.issues[0]?.message ?? "not allowed"}`, {
      field: "user_name",
    });
  }
  return parsed.data;
}

function round(milliseconds: number): number;
function round(milliseconds: number | undefined): number | undefined;
function round(milliseconds: number | undefined): number | undefined {
  return milliseconds === undefined ? undefined : Math.round(milliseconds * 10) / 10;
}
