import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createContext, healthCapabilities } from "../../../core/context/index.js";
import { createLogger } from "../../../core/logging/index.js";
import { createHealthApp } from "../../../functions/http/health.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import { startPrivateRedis } from "../../support/processes.js";
import { testSettings } from "../../support/services.js";

describe("GET /health on the real services", () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let context: AppContext;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    context = createTestContext({ REDIS_URL: redis.url, HEALTH_TIMEOUT_MS: "20000" });
    await context.embedder.warmUp();
  });

  afterAll(async () => {
    await context?.close();
    await redis?.stop();
  });

  it("is 200 with every component up and a latency for each", async () => {
    const response = await createHealthApp(() => context).request("/health");
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe("ok");
    for (const name of ["vector_store", "redis", "kafka", "embedder", "llm"]) {
      expect(body.components[name].status, name).toBe("up");
      expect(body.components[name].latency_ms, name).toBeGreaterThanOrEqual(0);
    }
    expect(body.components.embedder.detail).toContain("384 dimensions");
  });

  it("is 503 naming Redis once its server is stopped", async () => {
    await redis.stop();
    const settings = { ...context.settings, HEALTH_TIMEOUT_MS: 3_000 };
    const response = await createHealthApp(() => ({ ...context, settings })).request("/health");
    const body = await readJson(response);
    expect(response.status).toBe(503);
    expect(body.unavailable).toEqual(["redis"]);
    expect(body.components.redis.status).toBe("down");
    expect(body.components.vector_store.status).toBe("up");
  });

  it("reports an unconfigured component as disabled, which does not make the service unavailable", async () => {
    const withoutKafka = createTestContext({ KAFKA_BROKERS: "", HEALTH_TIMEOUT_MS: "20000" });
    try {
      const response = await createHealthApp(() => withoutKafka).request("/health");
      const body = await readJson(response);
      expect(body.components.kafka).toMatchObject({ status: "disabled", required: false });
      expect(body.unavailable).not.toContain("kafka");
    } finally {
      await withoutKafka.close();
    }
  });

  describe("in a function built without the embedder (a deployed health function)", () => {
    const healthFunction = (overrides: Record<string, string>) => {
      const settings = testSettings({ HEALTH_TIMEOUT_MS: "20000", ...overrides });
      return createContext(settings, createLogger(settings), healthCapabilities);
    };

    it("reports the embedder up from its model files, without building an embedder", async () => {
      const deployed = healthFunction({});
      try {
        const response = await createHealthApp(() => deployed).request("/health");
        const body = await readJson(response);
        expect(body.components.embedder, JSON.stringify(body)).toMatchObject({ status: "up" });
        expect(body.components.embedder.detail).toContain("384 dimensions");
        expect(body.components.embedder.detail).toContain("model files present");
        // Reading the embedder would throw: the health function was never given one to load.
        expect(() => deployed.embedder).toThrow(/not built into this function/);
      } finally {
        await deployed.close();
      }
    });

    it("is 503 naming the embedder when the model's files are missing, without the path", async () => {
      const deployed = healthFunction({ EMBEDDING_MODEL_DIR: "/nonexistent/models", EMBEDDING_ALLOW_REMOTE: "false" });
      try {
        const response = await createHealthApp(() => deployed).request("/health");
        const body = await readJson(response);
        expect(response.status).toBe(503);
        expect(body.unavailable).toContain("embedder");
        expect(body.components.embedder.status).toBe("down");
        expect(body.components.embedder.error).toContain("could not be loaded");
        expect(JSON.stringify(body)).not.toContain("/nonexistent");
      } finally {
        await deployed.close();
      }
    });
  });
});
