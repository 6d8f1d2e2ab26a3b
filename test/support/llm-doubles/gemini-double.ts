import type { ServerResponse } from "node:http";
import {
  type DoubleServer,
  type RecordedRequest,
  startDoubleServer,
  startEventStream,
  wordDeltas,
  writeEvents,
  writeJson,
} from "./double-server.js";

/** A function call the model makes, as a `functionCall` part. */
export interface GeminiCall {
  name: string;
  args: Record<string, unknown>;
  /** The Gemini API may leave calls without an id; Vertex sends one. */
  id?: string;
  /** Sent on the part, as thinking models do; the next request must repeat it unchanged. */
  thoughtSignature?: string;
}

/** One model reply in a scripted conversation: text, calls, or both (text first). */
export interface GeminiTurn {
  text?: string;
  calls?: GeminiCall[];
}

/** What the double answers; each test scripts its own with `double.script(…)`. */
export interface GeminiScript {
  text: string;
  /**
   * Successive successful replies, in order (a tool loop's rounds); once used up, `text`.
   * Streamed, text comes word by word and each call whole in its own event, as Gemini sends them.
   */
  turns?: GeminiTurn[];
  /** Stream deltas; by default the text split into words. */
  chunks?: string[];
  /** Statuses of successive model requests; once used up, 200. E.g. [429, 200]. */
  statuses: number[];
  /** The RetryInfo detail's retryDelay in a 429 ("26s"); none when unset. */
  retryDelay?: string;
  /** Never send headers, or stop writing (socket open) after the first stream event. */
  hang?: "before-headers" | "mid-stream";
  /** After the first stream event, send an error event (its own write) and end. */
  midStreamError?: boolean;
  /** Leave the finishReason off the last stream event, as if the stream was cut. */
  omitFinishReason?: boolean;
  /** Pause after each stream event. */
  chunkDelayMs: number;
}

export interface GeminiDouble extends DoubleServer {
  readonly apiKey: string;
  /** Replaces the script (defaults for what is not given) and forgets recorded requests. */
  script(script?: Partial<GeminiScript>): void;
}

const defaultScript: GeminiScript = {
  text: "The Trailblazer Backpack costs 89.99 [1].",
  statuses: [],
  chunkDelayMs: 5,
};

const modelPath = /^\/(v1|v1beta)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/**
 * The Gemini API as `@google/genai` 3.x sees it (shared/docs/llm-wire-formats.md):
 * `POST /{v1|v1beta}/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`,
 * the key in `x-goog-api-key`, Google's JSON error envelope.
 */
export async function startGeminiDouble(options: { apiKey: string }): Promise<GeminiDouble> {
  let script = defaultScript;
  let modelRequests = 0;
  let replies = 0;
  const server = await startDoubleServer(async (request, response) => {
    const match = request.method === "POST" ? modelPath.exec(request.path) : null;
    if (!match) {
      writeJson(response, 404, googleError(404, "NOT_FOUND", `no route for ${request.method} ${request.path}`));
      return;
    }
    if (request.headers["x-goog-api-key"] !== options.apiKey) {
      writeJson(response, 400, invalidKeyError());
      return;
    }
    const status = script.statuses[modelRequests++] ?? 200;
    if (script.hang === "before-headers") return;
    if (status !== 200) {
      writeJson(response, status, statusError(status, script.retryDelay));
      return;
    }
    const model = match[2] ?? "unknown";
    const turn: GeminiTurn = script.turns?.[replies++] ?? { text: script.text };
    if (match[3] === "generateContent") writeJson(response, 200, reply(model, turnParts(turn), "STOP"));
    else await streamReply(request, response, model, script, turn);
  });
  return Object.assign(server, {
    apiKey: options.apiKey,
    script(next: Partial<GeminiScript> = {}) {
      script = { ...defaultScript, ...next };
      modelRequests = 0;
      replies = 0;
      server.requests.length = 0;
    },
  });
}

async function streamReply(
  request: RecordedRequest,
  response: ServerResponse,
  model: string,
  script: GeminiScript,
  turn: GeminiTurn,
) {
  if (request.query.alt !== "sse") {
    writeJson(response, 400, googleError(400, "INVALID_ARGUMENT", "this double only streams with alt=sse"));
    return;
  }
  const text = turn.text ?? "";
  const deltas = script.turns ? (text ? wordDeltas(text) : []) : (script.chunks ?? wordDeltas(text));
  const parts: GeminiPart[][] = [
    ...deltas.map((delta) => [{ text: delta }]),
    ...(turn.calls ?? []).map((call) => [callPart(call)]),
  ];
  const events = parts.map((eventParts, index) => {
    const last = index === parts.length - 1 && !script.omitFinishReason;
    return `data: ${JSON.stringify(reply(model, eventParts, last ? "STOP" : undefined))}\r\n\r\n`;
  });
  startEventStream(response);
  if (script.hang === "mid-stream" || script.midStreamError) {
    if (!(await writeEvents(response, events.slice(0, 1), script.chunkDelayMs))) return;
    if (script.hang === "mid-stream") return; // Headers and one event sent; the socket stays open, silent.
    // Its own write, or it may merge with the previous event.
    response.write(`data: ${JSON.stringify(googleError(500, "INTERNAL", "Internal error encountered."))}\r\n\r\n`);
    response.end();
    return;
  }
  if (await writeEvents(response, events, script.chunkDelayMs)) response.end();
}

type GeminiPart = { text: string } | ReturnType<typeof callPart>;

function callPart(call: GeminiCall) {
  return {
    functionCall: { ...(call.id ? { id: call.id } : {}), name: call.name, args: call.args },
    ...(call.thoughtSignature ? { thoughtSignature: call.thoughtSignature } : {}),
  };
}

/** A whole reply's parts: the text, then each call. */
function turnParts(turn: GeminiTurn): GeminiPart[] {
  return [...(turn.text ? [{ text: turn.text }] : []), ...(turn.calls ?? []).map(callPart)];
}

/** A reply, or one stream event: only the last one carries finishReason. */
function reply(model: string, parts: GeminiPart[], finishReason: string | undefined) {
  return {
    candidates: [
      {
        content: { parts, role: "model" },
        ...(finishReason ? { finishReason } : {}),
        index: 0,
      },
    ],
    usageMetadata: finishReason
      ? { promptTokenCount: 42, candidatesTokenCount: 9, totalTokenCount: 51 }
      : { promptTokenCount: 42, totalTokenCount: 42 },
    modelVersion: model,
    responseId: "double-response",
  };
}

function googleError(code: number, status: string, message: string, details: unknown[] = []) {
  return { error: { code, message, status, ...(details.length ? { details } : {}) } };
}

function invalidKeyError() {
  const message = "API key not valid. Please pass a valid API key.";
  return googleError(400, "INVALID_ARGUMENT", message, [
    {
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "API_KEY_INVALID",
      domain: "googleapis.com",
      metadata: { service: "generativelanguage.googleapis.com" },
    },
    { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message },
  ]);
}

function statusError(status: number, retryDelay: string | undefined) {
  if (status === 429) {
    return googleError(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan.", [
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [{ quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests" }],
      },
      {
        "@type": "type.googleapis.com/google.rpc.Help",
        links: [{ description: "Learn more", url: "https://ai.google.dev" }],
      },
      ...(retryDelay ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }] : []),
    ]);
  }
  const statusNames: Record<number, string> = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    500: "INTERNAL",
    503: "UNAVAILABLE",
  };
  return googleError(status, statusNames[status] ?? "UNKNOWN", `scripted ${status}`);
}
