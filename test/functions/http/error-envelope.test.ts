import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { ComponentUnavailableError, InvalidInputError, NotFoundError } from "../../../core/errors/index.js";
import { createFunctionApp } from "../../../functions/http/shared/create-app.js";
import { createLocalApp } from "../../../functions/local/server.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";

// A probe app on the shared base: the same middleware, hook and error mapping every function uses.
function probeApp() {
  const context = createTestContext({ LOG_LEVEL: "silent" });
  const app = createFunctionApp(() => context);
  const route = createRoute({
    method: "post",
    path: "/probe",
    request: {
      body: {
        content: { "application/json": { schema: z.object({ count: z.number().int().max(10), name: z.string() }) } },
      },
    },
    responses: {
      200: { description: "ok", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } },
    },
  });
  app.openapi(route, (c) => {
    const { name } = c.req.valid("json");
    if (name === "crash") throw new Error("secret internals at /srv/app/db.ts:42 password=hunter2");
    if (name === "invalid") throw new InvalidInputError("unknown column 'x'", { column: "x" });
    if (name === "missing") throw new NotFoundError("no such batch");
    if (name === "down")
      throw new ComponentUnavailableError("vector_store", { cause: new Error("ECONNREFUSED 127.0.0.1:18000") });
    return c.json({ ok: true }, 200);
  });
  return app;
}

const post = (body: string) =>
  probeApp().request("/probe", { method: "POST", body, headers: { "content-type": "application/json" } });

describe("the error envelope", () => {
  it("answers a schema violation with 400 naming each field", async () => {
    const response = await post(JSON.stringify({ count: 99 }));
    expect(response.status).toBe(400);
    const body = await readJson(response);
    expect(body.error.code).toBe("validation_error");
    expect(body.error.message).toContain("count");
    expect(body.error.message).toContain("name");
    expect(body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: "count" }), expect.objectContaining({ path: "name" })]),
    );
  });

  it("answers malformed JSON with a 400, not a 500", async () => {
    const response = await post("{not json");
    expect(response.status).toBe(400);
    expect((await readJson(response)).error.code).toBeTypeOf("string");
  });

  it("maps typed core errors to 400, 404 and 503", async () => {
    const invalid = await post(JSON.stringify({ count: 1, name: "invalid" }));
    expect(invalid.status).toBe(400);
    expect(await readJson(invalid)).toEqual({
      error: { code: "invalid_input", message: "unknown column 'x'", details: { column: "x" } },
    });
    expect((await post(JSON.stringify({ count: 1, name: "missing" }))).status).toBe(404);
    const down = await post(JSON.stringify({ count: 1, name: "down" }));
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    const downBody = await down.text();
    expect(downBody).toContain("vector_store");
    expect(downBody).not.toContain("ECONNREFUSED");
  });

  it("hides an unexpected error's message and stack behind a generic 500", async () => {
    const response = await post(JSON.stringify({ count: 1, name: "crash" }));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "internal_error", message: "Internal server error" } });
    expect(text).not.toMatch(/hunter2|db\.ts|at /);
  });

  it("answers unknown paths with a 404 envelope, on a function and on the local server", async () => {
    const fromFunction = await probeApp().request("/nowhere");
    expect(fromFunction.status).toBe(404);
    expect((await readJson(fromFunction)).error.code).toBe("not_found");
    const fromServer = await createLocalApp().request("/nowhere");
    expect(fromServer.status).toBe(404);
    expect((await readJson(fromServer)).error.code).toBe("not_found");
  });

  it("gives every response a request id", async () => {
    const response = await post(JSON.stringify({ count: 1, name: "ok" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toMatch(/.{8,}/);
  });
});
