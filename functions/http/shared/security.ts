import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { authenticate, RateLimiter, requireScope } from "../../../core/auth/index.js";
import type { ApiKeyConfig, ApiScope } from "../../../core/config/index.js";
import type { AppContext } from "../../../core/context/index.js";
import type { ErrorBody } from "./errors.js";

/** Who may call a function: anyone, or a key with this scope (when keys are configured). */
export type Access = "public" | ApiScope;

const limiters = new WeakMap<AppContext, RateLimiter>();

function limiterFor(context: AppContext): RateLimiter {
  let limiter = limiters.get(context);
  if (!limiter) {
    limiter = new RateLimiter(context.redis, { prefix: context.settings.REDIS_KEY_PREFIX, logger: context.logger });
    limiters.set(context, limiter);
  }
  return limiter;
}

/** Requests a function answers without a key, and without counting them: a method and a path, as routed. */
export interface OpenRoute {
  methods: readonly string[];
  path: string;
}

const isOpen = (routes: readonly OpenRoute[], method: string, path: string) =>
  routes.some((route) => route.path === path && route.methods.includes(method === "HEAD" ? "GET" : method));

/** The API key check (401/403) and the per-key rate limit shared through Redis (429). */
export function requireAccess(
  access: Access,
  openRoutes: readonly OpenRoute[] = [],
): MiddlewareHandler<{
  Variables: { context: AppContext; apiKey: ApiKeyConfig | undefined };
}> {
  return async (c, next) => {
    if (access === "public" || c.req.method === "OPTIONS" || isOpen(openRoutes, c.req.method, c.req.path))
      return next();
    const { settings } = c.var.context;
    const header = (name: string) => c.req.header(name);
    const key = authenticate(settings.apiKeys, header);
    if (key) requireScope(key, access);
    c.set("apiKey", key);
    // Limits are per key: without keys (authentication off, local use) there is no one to limit.
    if (key)
      await limiterFor(c.var.context).consume(
        `key:${key.name}`,
        key.rate_limit_per_minute ?? settings.RATE_LIMIT_PER_MINUTE,
      );
    return next();
  };
}

/**
 * Standard security headers, CORS for the configured origins only (never `*`, since browsers
 * send credentials), the body size limit (413 in the envelope) and, for non-public functions,
 * the API key check (401/403) and the per-key rate limit shared through Redis (429).
 */
export function securityMiddleware(
  access: Access,
  render: (status: number, body: ErrorBody) => object = (_status, body) => body,
  openRoutes: readonly OpenRoute[] = [],
): MiddlewareHandler<{
  Variables: { context: AppContext; apiKey: ApiKeyConfig | undefined };
}>[] {
  return [
    secureHeaders({ crossOriginResourcePolicy: false, crossOriginOpenerPolicy: false }),
    (c, next) => {
      const origins = c.var.context.settings.CORS_ORIGINS?.split(",").map((origin) => origin.trim()) ?? [];
      if (origins.length === 0) return next();
      return cors({
        origin: origins,
        credentials: true,
        allowHeaders: ["content-type", "authorization", "x-api-key"],
        allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
        exposeHeaders: ["x-request-id", "retry-after"],
        maxAge: 600,
      })(c, next);
    },
    (c, next) =>
      bodyLimit({
        maxSize: c.var.context.settings.MAX_BODY_BYTES,
        onError: (limited) =>
          limited.json(
            render(413, {
              error: {
                code: "payload_too_large",
                message: `request bodies are limited to ${c.var.context.settings.MAX_BODY_BYTES} bytes`,
              },
            }),
            413,
          ),
      })(c, next),
    requireAccess(access, openRoutes),
  ];
}
