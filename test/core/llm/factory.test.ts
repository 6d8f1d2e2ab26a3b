import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../core/config/index.js";
import { TransformersEmbedder } from "../../../core/embeddings/index.js";
import {
  createLlmProviders,
  ExtractiveProvider,
  GeminiProvider,
  OpenAiCompatibleProvider,
  resolveProvider,
  UnknownProviderError,
} from "../../../core/llm/index.js";
import { rejectionOf } from "../../support/llm-doubles/streams.js";

/** Built but never loaded: creating providers must not touch the model. */
const embedder = new TransformersEmbedder({
  model: "Xenova/all-MiniLM-L6-v2",
  modelDir: "/nonexistent",
  dtype: "fp32",
  batchSize: 32,
  allowRemote: false,
});

const settings = (env: Record<string, string>) => loadConfig({ env: { NODE_ENV: "test", ...env } });
const both = { GEMINI_API_KEY: "test-key", OPENAI_BASE_URL: "http://127.0.0.1:11434/v1", OPENAI_MODEL: "qwen2.5" };

describe("createLlmProviders", () => {
  it("offers only the extractive provider when nothing remote is configured", () => {
    const providers = createLlmProviders(settings({}), embedder);
    expect([...providers.keys()]).toEqual(["extractive"]);
    expect(providers.get("extractive")).toBeInstanceOf(ExtractiveProvider);
    expect(providers.get("extractive")?.model).toBe("Xenova/all-MiniLM-L6-v2");
  });

  it("builds each configured provider with its model, the default first", () => {
    const providers = createLlmProviders(settings(both), embedder);
    expect([...providers.keys()]).toEqual(["gemini", "openai", "extractive"]);
    expect(providers.get("gemini")).toBeInstanceOf(GeminiProvider);
    expect(providers.get("openai")).toBeInstanceOf(OpenAiCompatibleProvider);
    expect(providers.get("openai")?.model).toBe("qwen2.5");
  });

  it("puts LLM_PROVIDER first when it is set", () => {
    const providers = createLlmProviders(settings({ ...both, LLM_PROVIDER: "openai" }), embedder);
    expect([...providers.keys()][0]).toBe("openai");
    expect(resolveProvider(providers).name).toBe("openai");
  });
});

describe("resolveProvider", () => {
  const providers = createLlmProviders(settings({ GEMINI_API_KEY: "test-key" }), embedder);

  it("returns the default when the request names none, and the named one otherwise", () => {
    expect(resolveProvider(providers).name).toBe("gemini");
    expect(resolveProvider(providers, "extractive").name).toBe("extractive");
  });

  it.each(["openai", "claude", ""])("refuses an unconfigured provider %j with UnknownProviderError", async (name) => {
    const error = await rejectionOf(async () => resolveProvider(providers, name));
    expect(error).toBeInstanceOf(UnknownProviderError);
    expect(error).toMatchObject({ code: "unknown_llm_provider", details: { configured: ["gemini", "extractive"] } });
  });
});
