import type { OpenAPIHono } from "@hono/zod-openapi";
import { app as healthApp } from "./health.js";
import { app as serviceInfoApp } from "./service-info.js";
import type { AppEnv } from "./shared/create-app.js";

/**
 * Every HTTP function, for the local server (which mounts them all on one port) and the
 * docs function (which merges their OpenAPI documents). Deployed, each is its own Lambda.
 */
export const httpFunctions: ReadonlyArray<{ name: string; app: OpenAPIHono<AppEnv> }> = [
  { name: "service-info", app: serviceInfoApp },
  { name: "health", app: healthApp },
];
