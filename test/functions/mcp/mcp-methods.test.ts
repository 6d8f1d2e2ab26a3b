import { handle, type LambdaEvent } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { generateApiKey } from "../../../core/auth/index.js";
import type { AppContext } from "../../../core/context/index.js";
import { createMcpApp } from "../../../functions/http/mcp.js";
import { createTestContext } from "../../support/app-context.js";
import { createTestLocalApp } from "../../support/function-apps.js";
import { readJson } from "../../support/http.js";
import { httpApiEvent, lambdaContext } from "../../support/lambda.js";
import { pinClockInsideMinute } from "../../support/rate-window.js";
import { serverlessFunctions } from "../../support/serverless-package.js";
import { uniqueName } from "../../support/services.js";
import { dropRedisPrefix } from "../../support/test-run.js";

const refusal = (method: string) => ({
  error: {
    code: "method_not_allowed",
    message: `${method} is not allowed on /mcp: this server is stateless, so send each JSON-RPC message as a POST`,
  },
});

describe("GET and DELETE /mcp: refused by the MCP function itself with 405 and Allow: POST", () => {
  const prefix = `${uniqueName("mcpmethods")}:`;
  const key = generateApiKey();
  const onceKey = generateApiKey();
  const bearer = { authorization: `Bearer ${key.key}` };
  const once = { authorization: `Bearer ${onceKey.key}` };
  let context: AppContext;

  beforeAll(() => {
    context = createTestContext({
      REDIS_KEY_PREFIX: prefix,
      API_KEYS: JSON.stringify([
        { name: "chat", sha256: key.sha256, scopes: ["chat"] },
        { name: "once", sha256: onceKey.sha256, scopes: ["chat"], rate_limit_per_minute: 1 },
      ]),
    });
  });
  afterAll(async () => {
    await dropRedisPrefix(context, prefix);
    await context?.close();
  });

  it("answers each with the error envelope, Allow: POST and the middleware's headers, called directly", async () => {
    const app = createMcpApp(() => context);
    for (const method of ["GET", "DELETE"]) {
      const response = await app.request("/mcp", { method, headers: { ...bearer, accept: "text/event-stream" } });
      expect(response.status, method).toBe(405);
      expect(response.headers.get("allow"), method).toBe("POST");
      expect(response.headers.get("content-type"), method).toMatch(/^application\/json/);
      expect(response.headers.get("x-request-id"), method).toBeTruthy();
      expect(response.headers.get("x-content-type-options"), method).toBe("nosniff");
      expect(await readJson(response), method).toEqual(refusal(method));
    }
    // POST is still the MCP exchange.
    const listed = await app.request("/mcp", {
      method: "POST",
      headers: { ...bearer, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(listed.status).toBe(200);
    const tools = (await readJson(listed)).result.tools.map((tool: { name: string }) => tool.name).sort();
    expect(tools).toEqual(["ask", "describe_table", "get_row", "list_sources", "search"]);
  });

  it("neither needs the key nor spends its rate limit: the SDK's client sends a GET unbidden on connecting", async () => {
    const app = createMcpApp(() => context);
    const restore = pinClockInsideMinute();
    onTestFinished(restore);
    for (const headers of [{}, { authorization: "Bearer cwd_not-a-key" }, once]) {
      const response = await app.request("/mcp", { method: "GET", headers });
      expect(response.status).toBe(405);
      expect(await readJson(response)).toEqual(refusal("GET"));
    }
    expect((await app.request("/mcp", { method: "HEAD", headers: once })).status).toBe(405);
    // The key allows one request a minute, and none went on the refusals: the first POST is answered.
    const post = () =>
      app.request("/mcp", {
        method: "POST",
        headers: { ...once, "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
    expect((await post()).status).toBe(200);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect((await readJson(limited)).error.code).toBe("rate_limited");
  });

  it("answers the same behind Lambda's adapter, from an API Gateway event, as deployed", async () => {
    const handler = handle(createMcpApp(() => context));
    for (const method of ["GET", "DELETE"]) {
      const event = httpApiEvent({ method, path: "/mcp", headers: bearer });
      const result = await handler(event as unknown as LambdaEvent, lambdaContext);
      expect(result.statusCode, method).toBe(405);
      expect(result.headers?.allow, method).toBe("POST");
      expect(JSON.parse(result.body ?? "null"), method).toEqual(refusal(method));
    }
  });

  it("is the function's answer behind the local router too: one request id, the same body", async () => {
    const response = await createTestLocalApp(context).request("/mcp", { method: "DELETE", headers: bearer });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(response.headers.get("x-request-id")?.split(",")).toHaveLength(1);
    expect(await readJson(response)).toEqual(refusal("DELETE"));
  });

  it("routes GET and DELETE /mcp to the mcp function in serverless.yml, beside POST", async () => {
    const { mcp } = await serverlessFunctions();
    expect(mcp?.handler).toBe("functions/http/mcp.handler");
    expect(mcp?.events).toEqual([
      { httpApi: { method: "POST", path: "/mcp" } },
      { httpApi: { method: "GET", path: "/mcp" } },
      { httpApi: { method: "DELETE", path: "/mcp" } },
    ]);
  });
});
