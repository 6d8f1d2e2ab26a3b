import type { Hono } from "hono";
import { app as docsApp } from "../http/docs.js";
import { httpFunctions } from "../http/registry.js";
import { routeToFunctions } from "./router.js";

/** One Node server for every HTTP function over the process's default context, routed as the API gateway routes. */
export function createLocalApp(): Hono {
  return routeToFunctions([...httpFunctions.map((entry) => entry.app), docsApp]);
}
