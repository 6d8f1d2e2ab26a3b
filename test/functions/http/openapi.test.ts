import { describe, expect, it } from "vitest";
import { createDocsApp } from "../../../functions/http/docs.js";
import { createLocalApp } from "../../../functions/local/server.js";
import { readJson } from "../../support/http.js";

describe("OpenAPI and docs", () => {
  it("serves one OpenAPI 3.1 document merged from every function", async () => {
    const response = await createLocalApp().request("/openapi.json");
    expect(response.status).toBe(200);
    const document = await readJson(response);
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/", "/health", "/status"]));
    expect(document.paths["/health"].get.responses).toHaveProperty("503");
    expect(document.components.schemas).toHaveProperty("Health");
    expect(document.components.schemas).toHaveProperty("ServiceStatus");
  });

  it("merges paths and shared schemas from separate apps", async () => {
    const { createHealthApp } = await import("../../../functions/http/health.js");
    const { createServiceInfoApp } = await import("../../../functions/http/service-info.js");
    const never = () => {
      throw new Error("the docs must not need a context");
    };
    const docs = createDocsApp([createHealthApp(never), createServiceInfoApp(never)] as never);
    const document = await readJson(await docs.request("/openapi.json"));
    expect(Object.keys(document.paths).sort()).toEqual(["/", "/health", "/status"]);
  });

  it("serves Swagger UI pointing at the document", async () => {
    const response = await createLocalApp().request("/docs");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("swagger-ui");
    expect(html).toContain("/openapi.json");
  });
});
