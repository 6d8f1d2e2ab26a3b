import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../../core/auth/index.js";
import type { AppContext } from "../../../core/context/index.js";
import { createLocalApp } from "../../../functions/local/server.js";
import { dropRedisPrefix } from "../../core/chat/chat-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { createTestLocalApp } from "../../support/function-apps.js";
import { SchemaArbitraries } from "../../support/openapi-arbitraries.js";
import { listEndpoints, type OpenApiDocument } from "../../support/openapi-schema.js";
import { startPrivateRedis } from "../../support/processes.js";
import { uniqueName } from "../../support/services.js";

const chatKey = generateApiKey();
const adminKey = generateApiKey();
const document = (await (await createLocalApp().request("/openapi.json")).json()) as OpenApiDocument;

/** docs/security.md's access rules, by path: who may call each documented operation. */
function accessOf(path: string): "public" | "chat" | "admin" {
  if (path === "/" || path === "/health") return "public";
  if (/^\/(chat|search|api\/llm|status|mcp|v1)(\/|$)/.test(path)) return "chat";
  return "admin";
}

/** The security headers docs/security.md promises on every response. */
const securityHeaders = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "strict-transport-security": expect.stringContaining("max-age="),
  "referrer-policy": "no-referrer",
};

const headersOf = (response: Response) =>
  Object.fromEntries(Object.keys(securityHeaders).map((name) => [name, response.headers.get(name)]));

describe("the access matrix: each key scope against each documented operation, and the public pages", {
  timeout: 120_000,
}, () => {
  const prefix = `${uniqueName("matrix")}:`;
  let context: AppContext;

  beforeAll(() => {
    context = createTestContext({
      REDIS_KEY_PREFIX: prefix,
      LLM_PROVIDER: "extractive",
      RATE_LIMIT_PER_MINUTE: "0",
      // No request here may start a connector on the shared Kafka Connect.
      KAFKA_CONNECT_URL: "http://127.0.0.1:9",
      API_KEYS: JSON.stringify([
        { name: "web", sha256: chatKey.sha256, scopes: ["chat"], users: ["ada"] },
        { name: "ops", sha256: adminKey.sha256, scopes: ["admin"], users: ["*"] },
      ]),
    });
  });
  afterAll(async () => {
    await dropRedisPrefix(context, prefix);
    await context?.close();
  });

  /** One documented request per operation, from its examples: unknown names at worst, so nothing is changed. */
  const requestFor = (endpoint: ReturnType<typeof listEndpoints>[number], key?: { key: string }) => {
    const schemas = new SchemaArbitraries(document, { user_name: ["ada"], batch_id: ["0000000000000000"] });
    const parameters = endpoint.operation.parameters ?? [];
    const path = endpoint.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const parameter = parameters.find((candidate) => candidate.name === name);
      return encodeURIComponent(String(schemas.example(parameter?.schema ?? { type: "string" }, name)));
    });
    const query = parameters
      .filter((parameter) => parameter.in === "query" && parameter.required)
      .map(
        (parameter) =>
          `${parameter.name}=${encodeURIComponent(String(schemas.example(parameter.schema ?? {}, parameter.name)))}`,
      )
      .join("&");
    const body = endpoint.operation.requestBody?.content["application/json"]?.schema;
    return createTestLocalApp(context).request(query ? `${path}?${query}` : path, {
      method: endpoint.method,
      headers: { ...(body ? { "content-type": "application/json" } : {}), ...(key ? { "x-api-key": key.key } : {}) },
      ...(body ? { body: JSON.stringify(schemas.example(body)) } : {}),
    });
  };

  it("answers each operation by docs/security.md's rules: public to all, chat to both keys, admin to the admin key", async () => {
    const cells: string[] = [];
    const expected: string[] = [];
    for (const endpoint of listEndpoints(document)) {
      const access = accessOf(endpoint.path);
      for (const [caller, key] of [
        ["nobody", undefined],
        ["chat", chatKey],
        ["admin", adminKey],
      ] as const) {
        const response = await requestFor(endpoint, key);
        await response.arrayBuffer();
        const verdict = response.status === 401 ? "401" : response.status === 403 ? "403" : "allowed";
        cells.push(`${endpoint.method} ${endpoint.path} as ${caller}: ${verdict}`);
        const want =
          access === "public" || caller === "admin" || (caller === "chat" && access === "chat")
            ? "allowed"
            : caller === "nobody"
              ? "401"
              : "403";
        expected.push(`${endpoint.method} ${endpoint.path} as ${caller}: ${want}`);
        // Every answer, refusals included, carries the headers docs/security.md lists.
        expect({ route: `${endpoint.method} ${endpoint.path}`, ...headersOf(response) }).toEqual({
          route: `${endpoint.method} ${endpoint.path}`,
          ...securityHeaders,
        });
      }
    }
    expect(cells.length).toBeGreaterThanOrEqual(60);
    expect(cells).toEqual(expected);
  });

  it("serves /docs and /openapi.json without a key when keys are configured, with the security headers", async () => {
    for (const path of ["/docs", "/openapi.json"]) {
      const response = await createTestLocalApp(context).request(path);
      expect(response.status, path).toBe(200);
      expect(headersOf(response), path).toEqual(securityHeaders);
    }
  });

  it("needs the admin scope for /metrics", async () => {
    const metrics = (key?: { key: string }) =>
      createTestLocalApp(context).request("/metrics", { headers: key ? { "x-api-key": key.key } : {} });
    expect((await metrics()).status).toBe(401);
    expect((await metrics(chatKey)).status).toBe(403);
    expect((await metrics(adminKey)).status).toBe(200);
  });
});

describe("the rate limiter with its Redis down", { timeout: 60_000 }, () => {
  it("lets requests through over the limit (it must not take the service down with it)", async () => {
    const redis = await startPrivateRedis();
    const key = generateApiKey();
    const context = createTestContext({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `${uniqueName("limiter-down")}:`,
      LLM_PROVIDER: "extractive",
      API_KEYS: JSON.stringify([
        { name: "tight", sha256: key.sha256, scopes: ["chat"], users: ["*"], rate_limit_per_minute: 1 },
      ]),
    });
    const providers = () =>
      createTestLocalApp(context).request("/api/llm/providers", { headers: { "x-api-key": key.key } });
    try {
      expect((await providers()).status).toBe(200);
      const limited = await providers();
      expect(limited.status).toBe(429);
      await redis.stop();
      // Over the limit, yet let through: the limiter cannot count, so it does not refuse.
      expect([(await providers()).status, (await providers()).status]).toEqual([200, 200]);
    } finally {
      await context.close();
      await redis.stop();
    }
  });
});
