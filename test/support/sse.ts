/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** "message" when the event had no `event:` field, as the spec says. */
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * A parser following the WHATWG event-stream rules: lines end in CRLF, LF or CR; a line
 * starting with ':' is a comment; one leading space after the colon is dropped; `data`
 * lines join with '\n'; a blank line dispatches, and an event with no data is not dispatched.
 */
export class SseParser {
  private buffer = "";
  private pendingCarriageReturn = false;
  private eventType = "";
  private data: string[] = [];
  private lastId: string | undefined;
  readonly events: SseEvent[] = [];

  constructor(private readonly onEvent: (event: SseEvent) => void = () => undefined) {}

  feed(chunk: string): void {
    let text = chunk;
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.pendingCarriageReturn && text.startsWith("\n")) text = text.slice(1);
    this.pendingCarriageReturn = false;
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      if (match[0] === "\r" && match.index === this.buffer.length - 1) {
        this.pendingCarriageReturn = true;
      }
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.eventType = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.lastId = value;
    // `retry` and unknown fields do not affect what tests assert.
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.eventType = "";
      return;
    }
    const event = { event: this.eventType || "message", data: this.data.join("\n"), id: this.lastId };
    this.eventType = "";
    this.data = [];
    this.events.push(event);
    this.onEvent(event);
  }
}

/** Reads a whole event-stream response body into its events. */
export async function readSseEvents(response: Response): Promise<SseEvent[]> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  if (!response.body) return parser.events;
  for await (const chunk of response.body) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(decoder.decode());
  return parser.events;
}

/**
 * Reads a stream until an event named `name` arrives (or the stream ends) and returns the names
 * seen; the rest stays unread, so the caller can then drop the connection mid-stream.
 */
export async function readEventsUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  name: string,
): Promise<string[]> {
  const seen: string[] = [];
  const parser = new SseParser((event) => seen.push(event.event));
  const decoder = new TextDecoder();
  while (!seen.includes(name)) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  return seen;
}
