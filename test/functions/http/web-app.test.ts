import { readdirSync, readFileSync } from "node:fs";
import { handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { afterAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createServiceInfoApp } from "../../../functions/http/service-info.js";
import { createWebApp } from "../../../functions/http/web-app.js";
import { createLocalApp } from "../../../functions/local/server.js";
import { setDefaultContext } from "../../../functions/shared/default-context.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";

const webFolder = new URL("../../../functions/http/web/", import.meta.url);
const chromeAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
const firefoxAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

describe("the web page function and content negotiation at /", () => {
  let context: AppContext | undefined;
  const getContext = () => {
    context ??= createTestContext();
    return context;
  };
  afterAll(async () => {
    await context?.close();
  });

  const web = () => createWebApp(getContext);
  const info = (accept?: string) =>
    createServiceInfoApp(getContext).request("/", accept === undefined ? {} : { headers: { Accept: accept } });

  it("serves the page at /app as HTML with a same-origin-only policy and a revalidating cache header", async () => {
    const response = await web().request("/app");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(response.headers.get("content-security-policy")).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("etag")).toMatch(/^"[\w-]{22}"$/);
    const html = await response.text();
    expect(html).toBe(readFileSync(new URL("index.html", webFolder), "utf8"));
    expect(html).toContain('<script type="module" src="/app/app.js"></script>');
  });

  it("names a separate stream origin in the page and lets the page connect to it, when one is set", async () => {
    const deployed = createTestContext({ CHAT_STREAM_URL: "https://abc123.lambda-url.eu-west-1.on.aws/" });
    try {
      const response = await createWebApp(() => deployed).request("/app");
      const policy = response.headers.get("content-security-policy") ?? "";
      expect(policy).toContain("connect-src 'self' https://abc123.lambda-url.eu-west-1.on.aws;");
      const html = await response.text();
      expect(html).toContain('<meta name="chat-stream-url" content="https://abc123.lambda-url.eu-west-1.on.aws" />');
      // Another page, another ETag: a browser holding the plain page does not get a 304 for it.
      const plain = await web().request("/app");
      expect(response.headers.get("etag")).not.toBe(plain.headers.get("etag"));
      expect(plain.headers.get("content-security-policy")).toContain("connect-src 'self';");
    } finally {
      await deployed.close();
    }
  });

  it("serves each asset with its content type, and 304 when the browser already has it", async () => {
    const css = await web().request("/app/app.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const script = await web().request("/app/app.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toBe(readFileSync(new URL("app.js", webFolder), "utf8"));

    const etag = script.headers.get("etag") ?? "";
    const again = await web().request("/app/app.js", { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const changed = await web().request("/app/app.js", { headers: { "If-None-Match": '"something-else"' } });
    expect(changed.status).toBe(200);
    expect(css.headers.get("etag")).not.toBe(etag);
  });

  it("serves every module the page imports, so the module graph has no missing file", async () => {
    const scripts = readdirSync(webFolder).filter((name) => name.endsWith(".js"));
    const imported = scripts.flatMap((name) =>
      [...readFileSync(new URL(name, webFolder), "utf8").matchAll(/from "\.\/([\w-]+\.js)"/g)].map((m) => m[1]),
    );
    expect(imported.length).toBeGreaterThan(3);
    for (const name of new Set(imported)) {
      const response = await web().request(`/app/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get("content-type"), name).toBe("text/javascript; charset=utf-8");
    }
  });

  it("answers an unknown asset, a traversal attempt and an untyped file with the 404 envelope", async () => {
    for (const path of ["/app/nope.js", "/app/..%2F..%2Fpackage.json", "/app/%2e%2e", "/app/web-app.ts"]) {
      const response = await web().request(path);
      expect(response.status, path).toBe(404);
      expect(await readJson(response), path).toMatchObject({ error: { code: "not_found" } });
    }
    const slash = await web().request("/app/");
    expect(slash.status).toBe(301);
    expect(slash.headers.get("location")).toBe("/app");
  });

  it("sends a browser at / to the page and keeps JSON for API clients", async () => {
    for (const accept of [chromeAccept, firefoxAccept, "text/html"]) {
      const response = await info(accept);
      expect(response.status, accept).toBe(302);
      expect(response.headers.get("location")).toBe("/app");
      expect(response.headers.get("vary")).toContain("Accept");
    }
    for (const accept of [undefined, "*/*", "application/json", "application/json, text/html;q=0.9"]) {
      const response = await info(accept);
      expect(response.status, String(accept)).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(response.headers.get("vary")).toContain("Accept");
      expect(await readJson(response)).toMatchObject({ docs: "/docs", health: "/health" });
    }
  });

  it("is mounted by the local server, and the page's routes stay out of the JSON API docs", async () => {
    // The registry's functions read the process-wide context; this file's module graph is its own.
    setDefaultContext(getContext());
    const local = createLocalApp();
    expect((await local.request("/app")).headers.get("content-type")).toMatch(/^text\/html/);
    const redirect = await local.request("/", { headers: { Accept: chromeAccept } });
    expect(redirect.headers.get("location")).toBe("/app");
    const document = await readJson(await local.request("/openapi.json"));
    expect(Object.keys(document.paths).filter((path) => path.startsWith("/app"))).toEqual([]);
    expect(document.paths["/"].get.responses).toHaveProperty("302");
  });

  it("answers an API Gateway HTTP API event for the page through the Lambda handler", async () => {
    const event: LambdaEvent = JSON.parse(
      readFileSync(new URL("../../events/http-api-get-status.json", import.meta.url), "utf8"),
    );
    Object.assign(event, { rawPath: "/app/app.css", routeKey: "GET /app/{file}" });
    Object.assign(event.requestContext, { routeKey: "GET /app/{file}" });
    (event.requestContext as { http: { path: string } }).http.path = "/app/app.css";
    const lambdaContext = { awsRequestId: "test", functionName: "web-app" } as unknown as LambdaContext;
    const result = await handle(web())(event, lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.["content-type"]).toBe("text/css; charset=utf-8");
    expect(result.body).toBe(readFileSync(new URL("app.css", webFolder), "utf8"));
  });
});
