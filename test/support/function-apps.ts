import type { Hono } from "hono";
import type { AppContext } from "../../core/context/index.js";
import { createDocsApp } from "../../functions/http/docs.js";
import { httpFunctions } from "../../functions/http/registry.js";
import { routeToFunctions } from "../../functions/local/router.js";

/**
 * Every registered function built over `context`, behind the local server's own router
 * (functions/local/router.ts), so tests route, pre-flight and refuse exactly as `npm start` does.
 */
export function createTestLocalApp(context: AppContext): Hono {
  const apps = httpFunctions.map((entry) => entry.create(() => context));
  return routeToFunctions([...apps, createDocsApp(apps)]);
}
