import type { OpenAPIHono } from "@hono/zod-openapi";
import packageJson from "../../../package.json" with { type: "json" };

type OpenApiDocument = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;
/** What the merge reads from a function's app: any app's environment will do. */
export type DocumentedApp = Pick<OpenAPIHono, "getOpenAPI31Document">;

/**
 * One OpenAPI 3.1 document from every function's own: each standalone app knows only
 * its routes, so the docs merge paths and component schemas (identical names are shared schemas).
 */
export function mergeOpenApi(apps: readonly DocumentedApp[]): OpenApiDocument {
  const info = { title: "Chat with your data", version: packageJson.version, description: packageJson.description };
  const merged: OpenApiDocument = { openapi: "3.1.0", info, paths: {}, components: { schemas: {} } };
  for (const app of apps) {
    const document = app.getOpenAPI31Document({ openapi: "3.1.0", info });
    Object.assign(merged.paths ?? {}, document.paths);
    Object.assign(merged.components?.schemas ?? {}, document.components?.schemas);
  }
  return merged;
}
