import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";

/** One request as the double received it, and what became of its connection. */
export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** Lifecycle of the response: "finish" when the double ended it, "close" when the connection closed. */
  events: string[];
  /** True once the connection closed before the double finished its reply: the client went away. */
  closedEarly: boolean;
  /** Resolves when the connection closes, however it ends. */
  closed: Promise<void>;
}

export type DoubleHandler = (request: RecordedRequest, response: ServerResponse) => Promise<void> | void;

export interface DoubleServer {
  /** http://127.0.0.1:<port>, without a trailing slash. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A plain node:http server on port 0 that records every request before handing it to
 * `handle`: both SDKs do real network I/O through Node's fetch, so this is what they talk to.
 */
export async function startDoubleServer(handle: DoubleHandler): Promise<DoubleServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (incoming, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(Buffer.from(chunk));
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(incoming.url ?? "/", "http://double");
    let markClosed = () => {};
    const recorded: RecordedRequest = {
      method: incoming.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: incoming.headers,
      body: parseJson(text),
      events: [],
      closedEarly: false,
      closed: new Promise((resolve) => {
        markClosed = resolve;
      }),
    };
    requests.push(recorded);
    response.on("finish", () => recorded.events.push("finish"));
    response.on("close", () => {
      recorded.events.push("close");
      recorded.closedEarly = !response.writableFinished;
      markClosed();
    });
    try {
      await handle(recorded, response);
    } catch (error) {
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(`double failed: ${String(error)}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Kept-alive and deliberately hung sockets would otherwise hold the server open.
        server.closeAllConnections();
      }),
  };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

export function writeJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  response.end(JSON.stringify(body));
}

/** Starts a text/event-stream reply. */
export function startEventStream(response: ServerResponse): void {
  response.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  response.flushHeaders();
}

/**
 * Writes each event with its own `write`, `delayMs` apart, as a real server flushes them.
 * Returns false when the client went away first.
 */
export async function writeEvents(
  response: ServerResponse,
  events: readonly string[],
  delayMs: number,
): Promise<boolean> {
  for (const event of events) {
    if (response.destroyed) return false;
    response.write(event);
    if (delayMs > 0) await sleep(delayMs);
  }
  return !response.destroyed;
}

/** Splits a text into word-sized deltas, spaces kept, so the deltas join back into the text. */
export function wordDeltas(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}
