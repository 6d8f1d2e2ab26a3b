import { describe, expect, it } from "vitest";
import { createLocalApp } from "../../../functions/local/server.js";
import { readJson } from "../../support/http.js";

describe("the local server routes like the API gateway", () => {
  const app = createLocalApp();

  it("answers a path no function owns with the 404 envelope", async () => {
    const response = await app.request("/nowhere/at/all");
    expect(response.status).toBe(404);
    expect(await readJson(response)).toMatchObject({ error: { code: "not_found" } });
  });

  it("answers a known path with the wrong method with 405 and Allow", async () => {
    const response = await app.request("/search");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(await readJson(response)).toMatchObject({ error: { code: "method_not_allowed" } });
  });

  it("hands each request to exactly one function, whose middleware stamps one request id", async () => {
    const response = await app.request("/openapi.json");
    expect(response.status).toBe(200);
    const bad = await app.request("/chat/history/not%20valid!", { method: "GET" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-request-id")?.split(",")).toHaveLength(1);
  });
});
