import { swaggerUI } from "@hono/swagger-ui";
import { Hono } from "hono";
import { handle } from "hono/aws-lambda";
import { secureHeaders } from "hono/secure-headers";
import builtDocument from "../../docs/openapi.json" with { type: "json" };
import { type DocumentedApp, mergeOpenApi } from "./shared/openapi.js";

/**
 * Swagger UI and the merged OpenAPI 3.1 document; needs no configuration or components.
 * Given `apps`, the document is merged from them (the local server, tests); without, it is
 * docs/openapi.json (`npm run openapi` writes it, a test keeps it equal to the merge), so the
 * deployed function carries none of the other functions' code.
 */
export function createDocsApp(apps?: readonly DocumentedApp[]) {
  const app = new Hono();
  // Public, but answered with the same security headers as every other function.
  app.use("*", secureHeaders({ crossOriginResourcePolicy: false, crossOriginOpenerPolicy: false }));
  let document: object | undefined;
  app.get("/openapi.json", (c) => {
    document ??= apps ? mergeOpenApi(apps) : builtDocument;
    return c.json(document);
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json", title: "Chat with your data — API" }));
  return app;
}

export const app = createDocsApp();
export const handler = handle(app);
