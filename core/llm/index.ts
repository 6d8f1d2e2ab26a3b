export { configuredProviders, defaultProvider, type LlmProviderInfo, type LlmProviderName } from "./providers.js";
