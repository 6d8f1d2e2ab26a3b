import type { Answer } from "./fuzz-fixture.js";
import type { Endpoint, JsonSchema, SchemaDocument } from "./openapi-schema.js";
import { SseParser } from "./sse.js";

/**
 * What an answer does that its operation's document does not say (empty when nothing): a status
 * missing from `responses`, a JSON body outside the documented schema, or, for
 * `text/event-stream`, an event outside the documented event schema or a stream not ending
 * in `data: [DONE]`. What an independent client would trip over, checked on every fuzzed answer.
 */
export function undocumentedIn(schemas: SchemaDocument, endpoint: Endpoint, answer: Answer): string[] {
  const responses = endpoint.operation.responses ?? {};
  // An empty path segment matches no operation at all: the router's 404, not this operation's answer.
  if (answer.status === 404 && answer.text.includes('"No route for ')) return [];
  const documented = responses[String(answer.status)] ?? responses[`${String(answer.status)[0]}XX`];
  if (!documented) {
    return [
      `status ${answer.status} is not documented (${Object.keys(responses).join(", ")}): ${answer.text.slice(0, 200)}`,
    ];
  }
  const mediaType = answer.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
  const content = documented.content ?? {};
  if (Object.keys(content).length === 0) return [];
  const media = content[mediaType];
  if (!media) return [`status ${answer.status} answered ${mediaType}, documented ${Object.keys(content).join(", ")}`];
  if (!media.schema) return [];
  if (mediaType === "application/json") {
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      return [`status ${answer.status} body is not JSON: ${answer.text.slice(0, 200)}`];
    }
    return schemas.conforms(body, media.schema)
      ? []
      : [`status ${answer.status} body is outside its documented schema: ${answer.text.slice(0, 300)}`];
  }
  if (mediaType === "text/event-stream") return streamProblems(schemas, media.schema, answer.text);
  return [];
}

/** Each event as the document describes it: `{event, data}`, `data` parsed from JSON except the final `[DONE]`. */
function streamProblems(schemas: SchemaDocument, schema: JsonSchema, text: string): string[] {
  const parser = new SseParser();
  parser.feed(text);
  parser.feed("\n\n");
  const problems: string[] = [];
  const events = parser.events;
  if (events.at(-1)?.data !== "[DONE]") problems.push(`the stream does not end with [DONE]: ${text.slice(-200)}`);
  for (const event of events) {
    let data: unknown = event.data;
    if (event.data !== "[DONE]") {
      try {
        data = JSON.parse(event.data);
      } catch {
        problems.push(`event '${event.event}' data is not JSON: ${event.data.slice(0, 200)}`);
        continue;
      }
    }
    const item = event.event === "message" ? { data } : { event: event.event, data };
    if (!schemas.conforms(item, schema)) {
      problems.push(`event outside its documented schema: ${JSON.stringify(item).slice(0, 300)}`);
    }
  }
  return problems;
}
