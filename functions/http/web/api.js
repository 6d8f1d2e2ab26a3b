// The page's only door to the service: every request carries the API key when one is set, and
// every failure becomes an ApiError with a message a person can act on.

const keyStorage = "cwd.apiKey";

export function apiKey() {
  return sessionStorage.getItem(keyStorage) ?? "";
}

/** The key lives in sessionStorage only: it goes when the tab closes and no other tab sees it. */
export function setApiKey(key) {
  if (key) sessionStorage.setItem(keyStorage, key);
  else sessionStorage.removeItem(keyStorage);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function headers(extra) {
  const result = { ...extra };
  const key = apiKey();
  if (key) result.Authorization = `Bearer ${key}`;
  return result;
}

/** fetch, with the key, JSON bodies and readable errors; resolves only for 2xx responses. */
export async function request(path, { method = "GET", body, signal, accept = "application/json" } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      headers: headers(
        body === undefined ? { Accept: accept } : { Accept: accept, "Content-Type": "application/json" },
      ),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError(0, "unreachable", "The service cannot be reached. Check that it is running, then try again.");
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function getJson(path, options) {
  return (await request(path, options)).json();
}

export async function sendJson(method, path, body, options) {
  return (await request(path, { ...options, method, body })).json();
}

/** Reads the error envelope {error: {code, message}} when there is one; a proxy's page when not. */
async function errorFrom(response) {
  const { status } = response;
  let code = `http_${status}`;
  let detail = "";
  try {
    const body = await response.json();
    if (typeof body?.error?.message === "string") {
      code = typeof body.error.code === "string" ? body.error.code : code;
      detail = body.error.message;
    }
  } catch {
    // Not JSON (a gateway's HTML page, say): the status alone has to explain it.
  }
  return new ApiError(status, code, describe(status, detail, response.headers.get("Retry-After")));
}

function describe(status, detail, retryAfter) {
  const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` Try again in ${retryAfter} s.` : " Try again shortly.";
  if (status === 401) {
    return `The service needs a valid API key (${detail || "not authorized"}). Enter one under “API key”.`;
  }
  if (status === 403) return `Not allowed: ${detail || "this key may not do that"}.`;
  if (status === 429) return `Too many requests${detail ? `: ${detail}` : ""}.${wait}`;
  if (status === 503) return `Unavailable: ${detail || "the service is not ready"}.${wait}`;
  if (status >= 500) return detail ? `The service failed: ${detail}.` : `The service failed (HTTP ${status}).`;
  return detail || `The request failed (HTTP ${status}).`;
}

/**
 * Server-Sent Events from a fetch body (EventSource cannot POST or send headers). Follows the
 * event-stream rules the server writes by: `event:` and `data:` lines, a blank line ends an event.
 */
export async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data = [];
  for (;;) {
    const { done, value } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    // A CR at the very end may be the first half of a CRLF still in flight.
    const cut = !done && buffer.endsWith("\r") ? buffer.length - 1 : buffer.length;
    const lines = buffer.slice(0, cut).split(/\r\n|\r|\n/);
    buffer = done ? "" : (lines.pop() ?? "") + buffer.slice(cut);
    for (const line of lines) {
      if (line === "") {
        if (data.length > 0) yield { event: event || "message", data: data.join("\n") };
        event = "";
        data = [];
      } else if (line.startsWith("event:")) {
        event = line.slice(6).trimStart();
      } else if (line.startsWith("data:")) {
        data.push(line.slice(5).replace(/^ /, ""));
      }
    }
    if (done) return;
  }
}
