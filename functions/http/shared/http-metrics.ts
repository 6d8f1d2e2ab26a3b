import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppContext } from "../../../core/context/index.js";
import { metrics } from "../../../core/metrics/index.js";
import { flushMetrics, setMetricsMode } from "../../shared/emf.js";

/** The label of a request no route of the function matched, whatever its path. */
export const unmatchedRoute = "unmatched";

/**
 * The route pattern that owns the request (`/chat/history/:user_name`), never the raw path.
 * Taken from the matched routes rather than the handler that ran, so a request a middleware
 * answered (401, 429, 413) still counts under its route.
 */
export function routeLabel(c: Context): string {
  const handlers = matchedRoutes(c).filter((route) => route.method !== "ALL");
  return handlers.at(-1)?.path ?? unmatchedRoute;
}

/**
 * Counts and times every request by method, route pattern and status. In emf mode it writes the
 * request's measurements as EMF log lines when the response is done: for an event stream, when
 * the stream ends, since the chat's own timings are recorded only then.
 */
export function requestMetrics(): MiddlewareHandler<{ Variables: { context: AppContext } }> {
  return async (c, next) => {
    const { settings } = c.var.context;
    setMetricsMode(settings.METRICS_MODE);
    const started = performance.now();
    await next();
    const labels = { method: c.req.method, route: routeLabel(c), status: c.res.status };
    metrics.httpRequests.inc(labels);
    metrics.httpRequestSeconds.observe(labels, (performance.now() - started) / 1000);
    if (settings.METRICS_MODE !== "emf") return;
    const flush = () => {
      flushMetrics({ namespace: settings.SERVICE_NAME });
    };
    const body = c.res.body;
    if (body && c.res.headers.get("content-type")?.startsWith("text/event-stream")) {
      const flushAtEnd = new TransformStream<Uint8Array, Uint8Array>({ flush });
      c.res = new Response(body.pipeThrough(flushAtEnd), c.res);
    } else {
      flush();
    }
  };
}
