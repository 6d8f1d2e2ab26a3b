import type { Settings } from "../config/index.js";

export type LlmProviderName = "extractive" | "gemini" | "openai";

export interface LlmProviderInfo {
  name: LlmProviderName;
  model: string;
  /** Whether it calls out over the network (extractive runs in-process, offline). */
  remote: boolean;
}

/** The providers the settings enable; extractive is always available, needing no network. */
export function configuredProviders(settings: Settings): LlmProviderInfo[] {
  const providers: LlmProviderInfo[] = [];
  if (settings.GEMINI_API_KEY) providers.push({ name: "gemini", model: settings.GEMINI_MODEL, remote: true });
  if (settings.OPENAI_BASE_URL) providers.push({ name: "openai", model: settings.OPENAI_MODEL, remote: true });
  providers.push({ name: "extractive", model: settings.EMBEDDING_MODEL, remote: false });
  return providers;
}

/** The default provider: LLM_PROVIDER when set, else the first configured remote one, else extractive. */
export function defaultProvider(settings: Settings): LlmProviderInfo {
  const providers = configuredProviders(settings);
  const chosen = settings.LLM_PROVIDER
    ? providers.find((provider) => provider.name === settings.LLM_PROVIDER)
    : providers[0];
  // The config schema refuses an LLM_PROVIDER whose settings are missing, so this always finds one.
  return chosen ?? (providers.at(-1) as LlmProviderInfo);
}

/** The configured providers, the default first: the order `/llm/providers` lists and requests fall back in. */
export function providersDefaultFirst(settings: Settings): (LlmProviderInfo & { default: boolean })[] {
  const chosen = defaultProvider(settings).name;
  return configuredProviders(settings)
    .map((provider) => ({ ...provider, default: provider.name === chosen }))
    .sort((a, b) => Number(b.default) - Number(a.default));
}
