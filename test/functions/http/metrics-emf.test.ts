import { Writable } from "node:stream";
import { streamSSE } from "hono/streaming";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { metrics } from "../../../core/metrics/index.js";
import { createMetricsApp } from "../../../functions/http/metrics.js";
import { createFunctionApp } from "../../../functions/http/shared/create-app.js";
import { setMetricsMode } from "../../../functions/shared/emf.js";
import { createTestContext } from "../../support/app-context.js";
import { captureEmf } from "../../support/emf.js";
import { readSseEvents } from "../../support/sse.js";

describe("request metrics and logs from every HTTP function", () => {
  const logLines: Record<string, unknown>[] = [];
  let base: AppContext;
  let context: AppContext;
  let release: () => void = () => undefined;

  beforeAll(() => {
    base = createTestContext({ METRICS_MODE: "emf", RATE_LIMIT_PER_MINUTE: "0", SERVICE_NAME: "metrics-test" });
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    context = { ...base, logger: pino({ level: "info" }, destination) };
  });
  afterAll(() => base?.close());
  afterEach(() => {
    logLines.length = 0;
    setMetricsMode("prometheus");
  });

  const app = () => {
    const function_ = createFunctionApp(() => context);
    function_.get("/things/:id", (c) => c.json({ id: c.req.param("id") }));
    function_.get("/stream", (c) =>
      streamSSE(c, async (stream) => {
        await stream.writeSSE({ event: "sources", data: "{}" });
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        // Recorded after the headers went out: only a flush at the stream's end can carry it.
        metrics.retrievalSeconds.observe({}, 0.5);
        await stream.writeSSE({ event: "done", data: "{}" });
      }),
    );
    return function_;
  };

  it("logs one line per request with method, route pattern, status, duration and request id", async () => {
    // In emf mode the request also writes EMF lines; kept off the test's output.
    const stdout = captureEmf();
    const response = await Promise.resolve(app().request("/things/secret-user-42?token=abc")).finally(() =>
      stdout.restore(),
    );
    expect(response.status).toBe(200);
    const requests = logLines.filter((line) => line.msg === "request");
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: "GET", route: "/things/:id", status: 200 });
    expect(requests[0]?.duration_ms).toEqual(expect.any(Number));
    expect(requests[0]?.request_id).toBe(response.headers.get("x-request-id"));
    expect(JSON.stringify(logLines)).not.toContain("secret-user-42");
    expect(JSON.stringify(logLines)).not.toContain("token=abc");
  });

  it("writes the request's metrics as EMF lines in emf mode, labelled by route pattern", async () => {
    const stdout = captureEmf();
    try {
      await app().request("/things/secret-user-42");
      await app().request("/no/such/thing");
    } finally {
      stdout.restore();
    }
    const counted = stdout.lines.filter((line) => "cwd_http_requests_total" in line);
    expect(counted.map((line) => [line.route, line.status, line.cwd_http_requests_total])).toEqual([
      ["/things/:id", "200", 1],
      ["unmatched", "404", 1],
    ]);
    expect(counted[0]?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: "metrics-test",
      Dimensions: [["method", "route", "status"]],
    });
    expect(stdout.lines.some((line) => "cwd_http_request_duration_seconds" in line)).toBe(true);
    expect(JSON.stringify(stdout.lines)).not.toContain("secret-user-42");
  });

  it("flushes an event stream's metrics when the stream ends, not when its headers go out", async () => {
    const stdout = captureEmf();
    try {
      const response = await app().request("/stream");
      expect(response.headers.get("content-type")).toContain("text/event-stream");
      const retrievals = () => stdout.lines.filter((line) => "cwd_retrieval_duration_seconds" in line);
      expect(retrievals()).toEqual([]);
      release();
      expect((await readSseEvents(response)).map((event) => event.event)).toEqual(["sources", "done"]);
      expect(retrievals().map((line) => line.cwd_retrieval_duration_seconds)).toEqual([0.5]);
      expect(stdout.lines.some((line) => line.route === "/stream")).toBe(true);
    } finally {
      stdout.restore();
    }
  });

  it("answers /metrics with 404 when metrics are off", async () => {
    const off = { ...context, settings: { ...context.settings, METRICS_MODE: "off" as const } };
    const response = await createMetricsApp(() => off).request("/metrics");
    expect(response.status).toBe(404);
  });
});
