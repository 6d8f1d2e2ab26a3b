import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { httpFunctions } from "../functions/http/registry.js";

const config = parse(readFileSync(new URL("../serverless.yml", import.meta.url), "utf8"));

describe("serverless.yml", () => {
  it("deploys every HTTP function with its handler and every route its OpenAPI document names", () => {
    const routes = new Set<string>();
    for (const definition of Object.values<{
      handler: string;
      events?: { httpApi?: { method: string; path: string } }[];
    }>(config.functions)) {
      for (const event of definition.events ?? [])
        if (event.httpApi) routes.add(`${event.httpApi.method} ${event.httpApi.path}`);
    }
    const handlers = Object.values<{ handler: string }>(config.functions).map((definition) => definition.handler);
    for (const { name, app } of httpFunctions) {
      expect(handlers, name).toContain(`functions/http/${name}.handler`);
      const document = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
      for (const [path, operations] of Object.entries(document.paths ?? {})) {
        for (const method of Object.keys(operations ?? {})) {
          const gatewayPath = path.replace(/\{([^}]+)\}/g, "{$1}");
          expect(routes, `${method.toUpperCase()} ${gatewayPath}`).toContain(`${method.toUpperCase()} ${gatewayPath}`);
        }
      }
    }
  });
});
