import { swaggerUI } from "@hono/swagger-ui";
import { OpenAPIHono } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { secureHeaders } from "hono/secure-headers";
import { httpFunctions } from "./registry.js";
import { mergeOpenApi } from "./shared/openapi.js";

/** Swagger UI and the merged OpenAPI 3.1 document; needs no configuration or components. */
export function createDocsApp(apps = httpFunctions.map((entry) => entry.app)) {
  const app = new OpenAPIHono();
  // Public, but answered with the same security headers as every other function.
  app.use("*", secureHeaders({ crossOriginResourcePolicy: false, crossOriginOpenerPolicy: false }));
  let document: ReturnType<typeof mergeOpenApi> | undefined;
  app.get("/openapi.json", (c) => {
    document ??= mergeOpenApi(apps as never);
    return c.json(document);
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json", title: "Chat with your data — API" }));
  return app;
}

export const app = createDocsApp();
export const handler = handle(app);
