import type { Hono } from "hono";
import { createDocsApp } from "../http/docs.js";
import { httpFunctions } from "../http/registry.js";
import { routeToFunctions } from "./router.js";

/** One Node server for every HTTP function over the process's default context, routed as the API gateway routes. */
export function createLocalApp(): Hono {
  const apps = httpFunctions.map((entry) => entry.app);
  // The document merged from the running code, so `npm run dev` shows a route as soon as it exists.
  return routeToFunctions([...apps, createDocsApp(apps)]);
}
