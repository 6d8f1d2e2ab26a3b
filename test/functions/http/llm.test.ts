import { describe, expect, it } from "vitest";
import { createLlmApp } from "../../../functions/http/llm.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";

describe("GET /api/llm/providers and /api/llm/current", () => {
  const get = async (overrides: Record<string, string>, path: string) => {
    const context = createTestContext(overrides);
    try {
      const response = await createLlmApp(() => context).request(path);
      return { status: response.status, body: await readJson(response) };
    } finally {
      await context.close();
    }
  };

  it("lists extractive alone when no remote provider is configured", async () => {
    const { status, body } = await get({}, "/api/llm/providers");
    expect(status).toBe(200);
    expect(body).toEqual({
      providers: [{ name: "extractive", model: "Xenova/all-MiniLM-L6-v2", remote: false, default: true }],
    });
    expect((await get({}, "/api/llm/current")).body).toMatchObject({ name: "extractive", default: true });
  });

  it("lists every configured provider, the default first, and never a key", async () => {
    const settings = {
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
      OPENAI_API_KEY: "sk-secret-listing-1",
      GEMINI_API_KEY: "gm-secret-listing-2",
      LLM_PROVIDER: "openai",
    };
    const providers = await get(settings, "/api/llm/providers");
    expect(providers.body.providers.map((provider: { name: string }) => provider.name)).toEqual([
      "openai",
      "gemini",
      "extractive",
    ]);
    expect(JSON.stringify(providers.body)).not.toMatch(/secret/);
    const current = await get(settings, "/api/llm/current");
    expect(current.body).toEqual({ name: "openai", model: "llama3.1", remote: true, default: true });
  });
});
