import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import type { ApiKeyConfig } from "../../../core/config/index.js";
import { type AppContext, type CapabilityFactories, redisCapability } from "../../../core/context/index.js";
import type { Logger } from "../../../core/logging/index.js";
import { restrictedView } from "../../shared/default-context.js";
import { type ErrorBody, mapError } from "./errors.js";
import { requestMetrics, routeLabel } from "./http-metrics.js";
import { type Access, type OpenRoute, securityMiddleware } from "./security.js";

export type ContextProvider = () => AppContext;

export interface AppEnv {
  Variables: {
    requestId: string;
    context: AppContext;
    logger: Logger;
    /** The caller's key; undefined when authentication is off or the function is public. */
    apiKey: ApiKeyConfig | undefined;
  };
}

/** Restates an error in another wire format (the OpenAI-compatible function's); the envelope as it is by default. */
export type ErrorRenderer = (status: number, body: ErrorBody) => object;

export interface FunctionAppOptions {
  access?: Access;
  renderError?: ErrorRenderer;
  /** What the function uses (see httpCapabilities); unset: every capability. */
  capabilities?: CapabilityFactories;
  /** Routes answered without the key check and rate limit (a refusal that costs the caller nothing). */
  openRoutes?: readonly OpenRoute[];
}

/** A function's own capabilities and Redis, which every HTTP function's rate limit uses. */
export function httpCapabilities(own: CapabilityFactories): CapabilityFactories {
  return { redis: redisCapability, ...own };
}

/**
 * The base every HTTP function builds on: request id, the core context, one JSON log line
 * per request, security (headers, CORS, body limit, API keys, rate limit; `access` says who may
 * call, "chat" unless said otherwise), zod failures as 400s in the error envelope, and errors
 * mapped in one place.
 */
export function createFunctionApp(provider: ContextProvider, options: FunctionAppOptions = {}): OpenAPIHono<AppEnv> {
  const { capabilities: listed } = options;
  const getContext = listed ? () => restrictedView(provider(), listed) : provider;
  const render: ErrorRenderer = options.renderError ?? ((_status, body) => body);
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
      const summary = issues
        .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
        .join("; ");
      const body: ErrorBody = {
        error: { code: "validation_error", message: `Invalid request: ${summary}`, details: issues },
      };
      return c.json(render(400, body), 400);
    },
  });

  app.use("*", requestId(), async (c, next) => {
    const context = getContext();
    const logger = context.logger.child({ request_id: c.var.requestId });
    c.set("context", context);
    c.set("logger", logger);
    const started = performance.now();
    await next();
    logger.info(
      {
        method: c.req.method,
        route: routeLabel(c),
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      },
      "request",
    );
  });
  // After the logging (which sets the context), before security: a 401 or 429 is counted too.
  app.use("*", requestMetrics());

  app.use("*", ...securityMiddleware(options.access ?? "chat", render, options.openRoutes));

  app.onError((error, c) => {
    const mapped = mapError(error);
    const logger = c.get("logger") ?? getContext().logger;
    if (mapped.status >= 500) logger.error({ err: error, route: c.req.routePath }, "request failed");
    return c.json(render(mapped.status, mapped.body), mapped.status, mapped.headers);
  });

  app.notFound((c) =>
    c.json(render(404, { error: { code: "not_found", message: `No route for ${c.req.method} ${c.req.path}` } }), 404),
  );

  return app;
}
