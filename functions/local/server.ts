import { Hono } from "hono";
import { app as docsApp } from "../http/docs.js";
import { httpFunctions } from "../http/registry.js";

/** One Hono app mounting every HTTP function at its own paths, as the API gateway would. */
export function createLocalApp(): Hono {
  const root = new Hono();
  for (const { app } of httpFunctions) root.route("/", app as unknown as Hono);
  root.route("/", docsApp as unknown as Hono);
  // A path no function owns never reaches a function app, so the envelope is repeated here.
  root.notFound((c) =>
    c.json({ error: { code: "not_found", message: `No route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  return root;
}
