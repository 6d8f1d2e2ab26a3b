import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";

interface Owner {
  method: string;
  pattern: RegExp;
  app: { fetch: (request: Request) => Response | Promise<Response> };
}

/** `/chat/history/:user_name` → a RegExp matching one path segment per parameter. */
function pathPattern(path: string): RegExp {
  const escaped = path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}$`);
}

/**
 * One Hono app in front of many functions, routing like the API gateway: each request goes to the
 * one function that owns its method and path, and only that function's middleware runs (mounting
 * them all on one app would run every function's middleware on every request). The local server
 * and the tests both route through this.
 */
export function routeToFunctions(apps: ReadonlyArray<Pick<OpenAPIHono, "routes" | "fetch">>): Hono {
  const owners: Owner[] = [];
  for (const app of apps) {
    for (const route of app.routes) {
      if (route.method === "ALL") continue; // middleware, not a route
      owners.push({ method: route.method, pattern: pathPattern(route.path), app });
    }
  }
  const root = new Hono();
  root.all("*", (c) => {
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    // A CORS preflight belongs to whichever function owns the path.
    const owner = owners.find(
      (candidate) => (method === "OPTIONS" || candidate.method === method) && candidate.pattern.test(c.req.path),
    );
    // Node's adapter passes no env the functions read, so each gets the raw request alone.
    if (owner) return owner.app.fetch(c.req.raw);
    const allowed = owners
      .filter((candidate) => candidate.pattern.test(c.req.path))
      .map((candidate) => candidate.method);
    if (allowed.length) {
      return c.json(
        { error: { code: "method_not_allowed", message: `${c.req.method} is not allowed on ${c.req.path}` } },
        405,
        { Allow: [...new Set(allowed)].join(", ") },
      );
    }
    return c.json({ error: { code: "not_found", message: `No route for ${c.req.method} ${c.req.path}` } }, 404);
  });
  return root;
}
