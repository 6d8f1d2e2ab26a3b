import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import type { Context } from "hono";
import { handle } from "hono/aws-lambda";
import { defaultContext } from "../shared/default-context.js";
import { type AppEnv, type ContextProvider, createFunctionApp } from "./shared/create-app.js";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

interface StaticFile {
  body: string;
  contentType: string;
  etag: string;
}

/**
 * The page's files, read once per process: a Lambda container or the local server serves them
 * from memory. Only files with a known type are served, so nothing else in the folder leaks.
 */
function loadFiles(folder: URL): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(folder)) {
    const contentType = contentTypes[extname(name)];
    if (!contentType) continue;
    const body = readFileSync(new URL(name, folder), "utf8");
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    files.set(name, { body, contentType, etag });
  }
  return files;
}

const pageFiles = loadFiles(new URL("./web/", import.meta.url));

/** The page calls only this origin and loads nothing from anywhere else. */
const securityHeaders = {
  "Content-Security-Policy":
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/**
 * The chat page: plain HTML, CSS and JS modules (no build step) over the JSON API. The files
 * change only with a deploy, and no-cache plus an ETag means a browser revalidates each load and
 * gets a 304 while they are unchanged, so a deploy is never mixed with stale modules.
 */
export function createWebApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { access: "public" });

  const respond = (c: Context<AppEnv>, name: string) => {
    const file = pageFiles.get(name);
    if (!file) return c.notFound();
    const headers = { ...securityHeaders, "Cache-Control": "no-cache", ETag: file.etag };
    const known = c.req.header("If-None-Match")?.split(/\s*,\s*/) ?? [];
    if (known.includes(file.etag)) return c.body(null, 304, headers);
    return c.body(file.body, 200, { ...headers, "Content-Type": file.contentType });
  };

  // Plain routes, not OpenAPI ones: the page is not part of the JSON API the docs describe.
  app.get("/app", (c) => respond(c, "index.html"));
  app.get("/app/", (c) => c.redirect("/app", 301));
  app.get("/app/:file", (c) => respond(c, c.req.param("file")));

  return app;
}

export const app = createWebApp(defaultContext);
export const handler = handle(app);
