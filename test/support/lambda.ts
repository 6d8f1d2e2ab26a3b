import { Writable } from "node:stream";
import type { LambdaContext } from "hono/aws-lambda";

/** What the Lambda runtime passes as the second argument; handlers only read the request id. */
export const lambdaContext = {
  awsRequestId: "8f5c2f1e-0000-4000-8000-000000000001",
  functionName: "chat-with-your-data-test-fn",
  functionVersion: "$LATEST",
  memoryLimitInMB: "1024",
  getRemainingTimeInMillis: () => 29_000,
} as unknown as LambdaContext;

export interface HttpApiRequest {
  method: string;
  path: string;
  /** The route as API Gateway names it, e.g. `/chat/history/{user_name}`; defaults to `path`. */
  route?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  /** API Gateway base64-encodes bodies it considers binary; handlers must decode them. */
  base64?: boolean;
  pathParameters?: Record<string, string>;
}

/** An API Gateway HTTP API (payload format 2.0) event, as the gateway sends it. */
export function httpApiEvent(request: HttpApiRequest) {
  const query = new URLSearchParams(request.query ?? {}).toString();
  const headers = {
    accept: "application/json",
    host: "abc123.execute-api.eu-west-1.amazonaws.com",
    "user-agent": "curl/8.5.0",
    "x-forwarded-for": "203.0.113.9",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
    ...(request.body !== undefined ? { "content-type": "application/json" } : {}),
    ...request.headers,
  };
  const routeKey = `${request.method} ${request.route ?? request.path}`;
  return {
    version: "2.0",
    routeKey,
    rawPath: request.path,
    rawQueryString: query,
    headers,
    ...(request.query ? { queryStringParameters: request.query } : {}),
    ...(request.pathParameters ? { pathParameters: request.pathParameters } : {}),
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      http: {
        method: request.method,
        path: request.path,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.9",
        userAgent: "curl/8.5.0",
      },
      requestId: `req-${Math.random().toString(36).slice(2, 10)}`,
      routeKey,
      stage: "$default",
      time: "24/Nov/2026:02:00:00 +0000",
      timeEpoch: 1_795_485_600_000,
    },
    ...(request.body !== undefined
      ? {
          body: request.base64 ? Buffer.from(request.body).toString("base64") : request.body,
          isBase64Encoded: request.base64 ?? false,
        }
      : { isBase64Encoded: false }),
  };
}

/** A Lambda function URL event (also payload 2.0), as the chat stream's URL receives it. */
export function functionUrlEvent(request: Omit<HttpApiRequest, "route">) {
  const event = httpApiEvent({ ...request, route: "$default" });
  return {
    ...event,
    routeKey: "$default",
    requestContext: {
      ...event.requestContext,
      apiId: "urlid",
      domainName: "urlid.lambda-url.eu-west-1.on.aws",
      domainPrefix: "urlid",
      routeKey: "$default",
    },
  };
}

export interface KafkaRecordInput {
  partition: number;
  offset: number;
  key: string | null;
  value: string | Buffer | null;
  headers?: Record<string, string>;
}

/** A Lambda Kafka event (MSK flavour): records grouped by topic-partition, base64 keys and values, byte-array headers. */
export function mskEvent(topic: string, records: readonly KafkaRecordInput[]) {
  const grouped: Record<string, unknown[]> = {};
  for (const record of records) {
    const group = `${topic}-${record.partition}`;
    grouped[group] ??= [];
    grouped[group].push({
      topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: 1_795_485_600_000 + record.offset,
      timestampType: "CREATE_TIME",
      key: record.key === null ? null : Buffer.from(record.key).toString("base64"),
      value: record.value === null ? null : Buffer.from(record.value).toString("base64"),
      headers: Object.entries(record.headers ?? {}).map(([name, value]) => ({ [name]: [...Buffer.from(value)] })),
    });
  }
  return {
    eventSource: "aws:kafka",
    eventSourceArn: "arn:aws:kafka:eu-west-1:123456789012:cluster/chat/abcd1234-5678-90ab-cdef-1234567890ab-2",
    bootstrapServers: "b-1.chat.abc123.c2.kafka.eu-west-1.amazonaws.com:9098",
    records: grouped,
  };
}

// Lambda's runtime separates the JSON prelude of a streamed HTTP response from its body with 8 NULs.
const delimiter = Buffer.alloc(8);

class ResponseSink extends Writable {
  readonly chunks: Buffer[] = [];
  contentType?: string;
  setContentType(type: string) {
    this.contentType = type;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void) {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
}

export interface StreamedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** When each body chunk arrived, ms after the invocation started: a streamed answer spreads out. */
  chunkTimes: number[];
}

/**
 * Installs a stand-in for the `awslambda` global of Lambda's Node runtime (streamifyResponse and
 * HttpResponseStream.from, which writes the metadata prelude and the NUL delimiter), so a
 * response-streaming handler runs here exactly as its code would there.
 */
export function installLambdaStreamingRuntime(): () => void {
  const global = globalThis as { awslambda?: unknown };
  const previous = global.awslambda;
  global.awslambda = {
    streamifyResponse:
      (fn: (event: unknown, stream: ResponseSink, context: unknown) => Promise<void>) =>
      async (event: unknown, context: unknown) => {
        const sink = new ResponseSink();
        const started = performance.now();
        const times: number[] = [];
        const originalWrite = sink._write.bind(sink);
        sink._write = (chunk, encoding, callback) => {
          times.push(performance.now() - started);
          originalWrite(chunk, encoding, callback);
        };
        await fn(event, sink, context);
        return { raw: Buffer.concat(sink.chunks), contentType: sink.contentType, times };
      },
    HttpResponseStream: {
      from(stream: ResponseSink, metadata: unknown) {
        stream.setContentType("application/vnd.awslambda.http-integration-response");
        stream.write(Buffer.concat([Buffer.from(JSON.stringify(metadata)), delimiter]));
        return stream;
      },
    },
  };
  return () => {
    global.awslambda = previous;
  };
}

/** Splits what a streaming handler wrote into the metadata prelude and the body, as Lambda does. */
export function readStreamedResponse(result: unknown): StreamedResponse {
  const { raw, times } = result as { raw: Buffer; times: number[] };
  const split = raw.indexOf(delimiter);
  if (split < 0) throw new Error(`no metadata prelude in the streamed response: ${raw.toString().slice(0, 200)}`);
  const metadata = JSON.parse(raw.subarray(0, split).toString("utf8")) as {
    statusCode: number;
    headers: Record<string, string>;
  };
  return {
    statusCode: metadata.statusCode,
    headers: metadata.headers,
    body: raw.subarray(split + delimiter.length).toString("utf8"),
    chunkTimes: times.slice(1),
  };
}
