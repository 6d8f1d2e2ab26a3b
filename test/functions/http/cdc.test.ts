import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createCdcApp } from "../../../functions/http/cdc.js";
import { createLocalApp } from "../../../functions/local/server.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import type { OpenApiDocument } from "../../support/openapi-schema.js";
import { testServices, uniqueName } from "../../support/services.js";

const document = (await (await createLocalApp().request("/openapi.json")).json()) as OpenApiDocument;

describe("POST, GET and DELETE /sources/{name}/cdc: the answers before Kafka Connect is reached", () => {
  const mongoSource = `mg_${uniqueName("cdc").replace(/-/g, "_")}`;
  const csvSource = `csv_${uniqueName("cdc").replace(/-/g, "_")}`;
  let context: AppContext;

  beforeAll(() => {
    context = createTestContext({
      // Out of reach: a request that got past the source checks would show as a 503.
      KAFKA_CONNECT_URL: "http://127.0.0.1:9",
      SOURCES: JSON.stringify([
        { name: mongoSource, kind: "mongodb", url: testServices.mongoUrl, database: testServices.mongoDatabase },
        { name: csvSource, kind: "csv", path: "samples" },
      ]),
    });
  });
  afterAll(async () => {
    await context?.close();
  });

  const call = (method: string, name: string) =>
    createCdcApp(() => context).request(`/sources/${name}/cdc`, {
      method,
      ...(method === "POST"
        ? {
            body: JSON.stringify({ table: "reviews", text_fields: ["review"] }),
            headers: { "content-type": "application/json" },
          }
        : {}),
    });

  it("answers 400 naming the kind for a MongoDB or file source, on every method, and documents it", async () => {
    for (const method of ["POST", "GET", "DELETE"]) {
      for (const [name, kind] of [
        [mongoSource, "mongodb"],
        [csvSource, "csv"],
      ]) {
        const response = await call(method, name as string);
        const body = await readJson(response);
        expect({ method, name, status: response.status }).toEqual({ method, name, status: 400 });
        expect(body.error.message).toContain(`'${name}' is ${kind}`);
        expect(body.error.message).toContain("POST /sync/{source}");
      }
      expect(Object.keys(document.paths["/sources/{name}/cdc"]?.[method.toLowerCase()]?.responses ?? {})).toContain(
        "400",
      );
    }
  });

  it("answers a documented 404 for an unknown source and a documented 503 naming Kafka Connect when it is down", async () => {
    const unknown = await call("DELETE", "nosuch");
    expect(unknown.status).toBe(404);
    expect((await readJson(unknown)).error.message).toContain("unknown source 'nosuch'");
    const pg = createTestContext({
      KAFKA_CONNECT_URL: "http://127.0.0.1:9",
      SOURCES: JSON.stringify([{ name: "pg_cdc_down", kind: "postgresql", url: testServices.postgresUrl }]),
    });
    try {
      const down = await createCdcApp(() => pg).request("/sources/pg_cdc_down/cdc", { method: "DELETE" });
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBeTruthy();
      expect((await readJson(down)).error.details.component).toBe("kafka_connect");
    } finally {
      await pg.close();
    }
    for (const method of ["delete", "get", "post"]) {
      expect(Object.keys(document.paths["/sources/{name}/cdc"]?.[method]?.responses ?? {})).toEqual(
        expect.arrayContaining(["404", "503"]),
      );
    }
  });
});
