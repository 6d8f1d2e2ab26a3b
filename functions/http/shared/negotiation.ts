import type { Context } from "hono";
import { accepts } from "hono/accepts";

/**
 * Whether the client ranks HTML above JSON in its Accept header, as a browser's page load does
 * (text/html first, anything else at a lower q). A bare wildcard, no header, or JSON first all
 * keep JSON, so API clients such as curl and fetch() see no change.
 */
export function prefersHtml(c: Context): boolean {
  const best = accepts(c, {
    header: "Accept",
    supports: ["application/json", "text/html"],
    default: "application/json",
  });
  return best === "text/html";
}
