import type { ServerResponse } from "node:http";
import {
  type DoubleServer,
  startDoubleServer,
  startEventStream,
  wordDeltas,
  writeEvents,
  writeJson,
} from "./double-server.js";

/** Whose dialect of the streaming format the double speaks (shared/docs/llm-wire-formats.md). */
export type OpenAiFlavour = "openai" | "vllm" | "ollama" | "llamacpp";

/** A tool call the model makes; `arguments` as an object is sent as its JSON text, a string as is (even broken). */
export interface OpenAiCall {
  name: string;
  arguments: Record<string, unknown> | string;
  id?: string;
}

/** One model reply in a scripted conversation: text, calls, or both. */
export interface OpenAiTurn {
  text?: string;
  calls?: OpenAiCall[];
  /**
   * Streamed, how calls arrive: `split` (default) as OpenAI sends them, id and name first, then the
   * arguments' text in fragments; `whole`, each call in one chunk, as some servers do.
   */
  callChunks?: "split" | "whole";
}

export interface OpenAiScript {
  text: string;
  /** Successive successful replies, in order (a tool loop's rounds); once used up, `text`. */
  turns?: OpenAiTurn[];
  /** Stream deltas; by default the text split into words. */
  chunks?: string[];
  flavour: OpenAiFlavour;
  /** Statuses of successive requests; once used up, 200. E.g. [429, 200]. */
  statuses: number[];
  /** Extra headers on an error reply, e.g. { "retry-after": "7" }. */
  errorHeaders?: Record<string, string>;
  /** Never send headers, or stop writing (socket open) after the first stream chunk. */
  hang?: "before-headers" | "mid-stream";
  /** After the first content chunk, send `data: {"error":…}` and end without [DONE] (llama.cpp). */
  midStreamError?: boolean;
  /** End the stream without `data: [DONE]`. */
  omitDone?: boolean;
  /** The finish_reason sent; "stop" by default. */
  finishReason?: string;
  /** Send no chunk with a finish_reason, as if the stream was cut. */
  omitFinishReason?: boolean;
  /** Add a usage chunk with `choices: []` after the finish chunk. */
  usageChunk?: boolean;
  /** Answer 200 with an HTML page instead of JSON (a proxy's error page). */
  nonJson?: boolean;
  chunkDelayMs: number;
}

export interface OpenAiDouble extends DoubleServer {
  /** The base URL to give the client (…/v1). */
  readonly baseUrl: string;
  /** Replaces the script (defaults for what is not given) and forgets recorded requests. */
  script(script?: Partial<OpenAiScript>): void;
}

const defaultScript: OpenAiScript = {
  text: "The Trailblazer Backpack costs 89.99 [1].",
  flavour: "openai",
  statuses: [],
  chunkDelayMs: 5,
};

const usage = { prompt_tokens: 42, completion_tokens: 9, total_tokens: 51 };

/**
 * An OpenAI-compatible server: `POST /v1/chat/completions`, JSON or SSE, with the
 * streaming quirks of vLLM, Ollama and llama.cpp. With `apiKey`, it checks the bearer
 * token and (like OpenAI) echoes a refused key in its error message.
 */
export async function startOpenAiDouble(options: { apiKey?: string } = {}): Promise<OpenAiDouble> {
  let script = defaultScript;
  let completions = 0;
  let replies = 0;
  const server = await startDoubleServer(async (request, response) => {
    if (request.method !== "POST" || request.path !== "/v1/chat/completions") {
      writeJson(response, 404, apiError(`no route for ${request.method} ${request.path}`, "invalid_request_error"));
      return;
    }
    const authorization = request.headers.authorization ?? "";
    if (options.apiKey && authorization !== `Bearer ${options.apiKey}`) {
      const refused = authorization.replace(/^Bearer /, "");
      writeJson(
        response,
        401,
        script.flavour === "vllm"
          ? { error: "Unauthorized" }
          : apiError(`Incorrect API key provided: ${refused}.`, "invalid_request_error", "invalid_api_key"),
      );
      return;
    }
    const status = script.statuses[completions++] ?? 200;
    if (script.hang === "before-headers") return;
    if (status !== 200) {
      writeJson(response, status, apiError(`scripted ${status}`, status === 429 ? "requests" : "server_error"), {
        ...script.errorHeaders,
      });
      return;
    }
    if (script.nonJson) {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<html><body>Bad gateway</body></html>");
      return;
    }
    const body = typeof request.body === "object" && request.body !== null ? request.body : {};
    const model = "model" in body && typeof body.model === "string" ? body.model : "unknown";
    const turn: OpenAiTurn = script.turns?.[replies++] ?? { text: script.text };
    if ("stream" in body && body.stream === true) await streamReply(response, model, script, turn);
    else writeJson(response, 200, completion(model, script, turn));
  });
  return Object.assign(server, {
    baseUrl: `${server.url}/v1`,
    script(next: Partial<OpenAiScript> = {}) {
      script = { ...defaultScript, ...next };
      completions = 0;
      replies = 0;
      server.requests.length = 0;
    },
  });
}

const callId = (call: OpenAiCall, index: number) => call.id ?? `call_double_${index}`;
const argumentsText = (call: OpenAiCall) =>
  typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);

function completion(model: string, script: OpenAiScript, turn: OpenAiTurn) {
  const calls = turn.calls ?? [];
  const message = calls.length
    ? {
        role: "assistant",
        content: turn.text ?? null,
        tool_calls: calls.map((call, index) => ({
          id: callId(call, index),
          type: "function",
          function: { name: call.name, arguments: argumentsText(call) },
        })),
      }
    : { role: "assistant", content: turn.text ?? "" };
  return {
    id: "chatcmpl-double",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message,
        finish_reason: calls.length ? "tool_calls" : (script.finishReason ?? "stop"),
      },
    ],
    usage,
    ...(script.flavour === "llamacpp" ? { timings: { prompt_ms: 12.5, predicted_ms: 80.1 } } : {}),
  };
}

async function streamReply(response: ServerResponse, model: string, script: OpenAiScript, turn: OpenAiTurn) {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: "chatcmpl-double", object: "chat.completion.chunk", created: 1_700_000_000, model, choices, ...extra })}\n\n`;
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    index: 0,
    delta,
    finish_reason: finishReason,
  });
  const role = script.flavour === "ollama" ? { role: "assistant" } : {};
  const timings = script.flavour === "llamacpp" ? { timings: { prompt_ms: 12.5, predicted_ms: 80.1 } } : {};

  const opening =
    script.flavour === "openai"
      ? [chunk([choice({ role: "assistant", content: "", refusal: null })])]
      : script.flavour === "vllm"
        ? [chunk([choice({ role: "assistant" })])] // role only, no content key
        : [];
  const text = turn.text ?? "";
  const deltas = script.turns ? (text ? wordDeltas(text) : []) : (script.chunks ?? wordDeltas(text));
  const content = deltas.map((delta) => chunk([choice({ ...role, content: delta })]));
  const calls = (turn.calls ?? []).flatMap((call, index) => {
    const opening = { index, id: callId(call, index), type: "function" };
    if (turn.callChunks === "whole") {
      return [
        chunk([
          choice({
            ...role,
            tool_calls: [{ ...opening, function: { name: call.name, arguments: argumentsText(call) } }],
          }),
        ]),
      ];
    }
    // As OpenAI streams a call: id and name with empty arguments, then the arguments in small fragments.
    const fragments = argumentsText(call).match(/.{1,7}/gs) ?? [];
    return [
      chunk([choice({ ...role, tool_calls: [{ ...opening, function: { name: call.name, arguments: "" } }] })]),
      ...fragments.map((fragment) =>
        chunk([choice({ ...role, tool_calls: [{ index, function: { arguments: fragment } }] })]),
      ),
    ];
  });
  const finishReason = turn.calls?.length ? "tool_calls" : (script.finishReason ?? "stop");
  const finishDelta = turn.calls?.length ? { ...role } : { ...role, content: "" };
  const finish = script.omitFinishReason ? [] : [chunk([choice(finishDelta, finishReason)], timings)];
  const usageChunk = script.usageChunk ? [chunk([], { usage })] : [];
  const done = script.omitDone ? [] : ["data: [DONE]\n\n"];

  startEventStream(response);
  if (script.hang === "mid-stream" || script.midStreamError) {
    if (!(await writeEvents(response, [...opening, ...content.slice(0, 1)], script.chunkDelayMs))) return;
    if (script.hang === "mid-stream") return; // The socket stays open, silent.
    response.write(
      `data: ${JSON.stringify({ error: { code: 500, message: "context shift failed", type: "server_error" } })}\n\n`,
    );
    response.end();
    return;
  }
  const events = [...opening, ...content, ...calls, ...finish, ...usageChunk, ...done];
  if (await writeEvents(response, events, script.chunkDelayMs)) response.end();
}

function apiError(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}
