import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import type { Context } from "hono";
import { handle } from "hono/aws-lambda";
import { contextWith } from "../shared/default-context.js";
import { type AppEnv, type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";

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
    files.set(name, staticFile(readFileSync(new URL(name, folder), "utf8"), contentType));
  }
  return files;
}

function staticFile(body: string, contentType: string): StaticFile {
  return { body, contentType, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
}

const pageFiles = loadFiles(new URL("./web/", import.meta.url));

/**
 * Deployed, an API gateway buffers responses, so the stream is served by a function URL of its
 * own (CHAT_STREAM_URL): the page learns it from a meta tag, and the CSP lets it connect there.
 */
const streamingPages = new Map<string, StaticFile>();
function pageStreamingFrom(streamUrl: string): StaticFile | undefined {
  const index = pageFiles.get("index.html");
  if (!index) return undefined;
  let page = streamingPages.get(streamUrl);
  if (!page) {
    const base = streamUrl.replace(/\/+$/, "").replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
    const meta = `<head>\n    <meta name="chat-stream-url" content="${base}" />`;
    page = staticFile(index.body.replace("<head>", meta), index.contentType);
    streamingPages.set(streamUrl, page);
  }
  return page;
}

/** The page loads nothing from elsewhere and calls only this origin (and the stream's, when set). */
function securityHeaders(streamUrl: string | undefined): Record<string, string> {
  const connect = streamUrl ? `'self' ${new URL(streamUrl).origin}` : "'self'";
  return {
    "Content-Security-Policy": `default-src 'self'; connect-src ${connect}; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  };
}

/**
 * The chat page: plain HTML, CSS and JS modules (no build step) over the JSON API. The files
 * change only with a deploy, and no-cache plus an ETag means a browser revalidates each load and
 * gets a 304 while they are unchanged, so a deploy is never mixed with stale modules.
 */
/** What this function uses; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities({});

export function createWebApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities, access: "public" });

  const respond = (c: Context<AppEnv>, name: string) => {
    const streamUrl = c.var.context.settings.CHAT_STREAM_URL;
    const file = name === "index.html" && streamUrl ? pageStreamingFrom(streamUrl) : pageFiles.get(name);
    if (!file) return c.notFound();
    const headers = { ...securityHeaders(streamUrl), "Cache-Control": "no-cache", ETag: file.etag };
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

export const app = createWebApp(contextWith(capabilities));
export const handler = handle(app);
