import { readFileSync } from "node:fs";
import { handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { describe, expect, it } from "vitest";
import { createServiceInfoApp } from "../../../functions/http/service-info.js";
import { createTestContext } from "../../support/app-context.js";

const fixture = (name: string): LambdaEvent =>
  JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), "utf8"));

const lambdaContext = { awsRequestId: "test", functionName: "service-info" } as unknown as LambdaContext;

describe("HTTP functions behind the Lambda adapter", () => {
  it("answers an API Gateway HTTP API (v2) event", async () => {
    const context = createTestContext();
    const handler = handle(createServiceInfoApp(() => context));
    const result = await handler(fixture("http-api-get-status.json"), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.["content-type"]).toContain("application/json");
    expect(JSON.parse(result.body ?? "{}")).toMatchObject({ service: "chat-with-your-data", docs: "/docs" });
  });

  it("exports a handler from each HTTP function module", async () => {
    for (const module of ["health", "service-info", "docs"]) {
      const loaded = await import(`../../../functions/http/${module}.ts`);
      expect(typeof loaded.handler, module).toBe("function");
      expect(typeof loaded.app?.fetch, module).toBe("function");
    }
  });
});
