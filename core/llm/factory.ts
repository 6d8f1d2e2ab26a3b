import type { Settings } from "../config/index.js";
import type { Embedder } from "../embeddings/index.js";
import { UnknownProviderError } from "./errors.js";
import { ExtractiveProvider } from "./extractive.js";
import { GeminiProvider } from "./gemini.js";
import { OpenAiCompatibleProvider } from "./openai-compatible.js";
import type { LlmProvider } from "./provider.js";
import { type LlmProviderName, providersDefaultFirst } from "./providers.js";

/**
 * Retries after the first attempt on 429/5xx. Fixed until the config grows an
 * LLM_MAX_RETRIES setting; with a 60 s timeout, more would keep a chat user waiting.
 */
export const defaultLlmMaxRetries = 2;

/**
 * The configured providers by name, the default one first (so {@link resolveProvider}
 * falls back to it). Build once per process: each holds its own HTTP client.
 *
 * @example resolveProvider(createLlmProviders(settings, embedder), body.provider).stream(request, { signal })
 */
export function createLlmProviders(settings: Settings, embedder: Embedder): ReadonlyMap<LlmProviderName, LlmProvider> {
  return new Map(
    providersDefaultFirst(settings).map(({ name }) => [name, createProvider(name, settings, embedder)] as const),
  );
}

/** The provider a request named, or the default when it named none. */
export function resolveProvider(providers: ReadonlyMap<LlmProviderName, LlmProvider>, name?: string): LlmProvider {
  const configured = [...providers.values()];
  const chosen = name === undefined ? configured[0] : configured.find((provider) => provider.name === name);
  if (!chosen) {
    throw new UnknownProviderError(
      name ?? "(default)",
      configured.map((provider) => provider.name),
    );
  }
  return chosen;
}

function createProvider(name: LlmProviderName, settings: Settings, embedder: Embedder): LlmProvider {
  const common = {
    timeoutMs: settings.LLM_TIMEOUT_MS,
    maxRetries: defaultLlmMaxRetries,
    temperature: settings.LLM_TEMPERATURE,
    maxTokens: settings.LLM_MAX_TOKENS,
  };
  if (name === "gemini" && settings.GEMINI_API_KEY) {
    return new GeminiProvider({
      ...common,
      apiKey: settings.GEMINI_API_KEY,
      model: settings.GEMINI_MODEL,
      baseUrl: settings.GEMINI_BASE_URL,
    });
  }
  if (name === "openai" && settings.OPENAI_BASE_URL) {
    return new OpenAiCompatibleProvider({
      ...common,
      baseUrl: settings.OPENAI_BASE_URL,
      apiKey: settings.OPENAI_API_KEY,
      model: settings.OPENAI_MODEL,
    });
  }
  if (name === "extractive") return new ExtractiveProvider(embedder);
  // configuredProviders lists a remote provider only when its settings are present.
  throw new Error(`LLM provider ${name} is listed as configured but its settings are missing`);
}
