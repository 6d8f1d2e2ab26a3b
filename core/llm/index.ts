export {
  LlmAuthenticationError,
  LlmBadResponseError,
  LlmError,
  LlmRateLimitedError,
  LlmRequestRejectedError,
  LlmTimeoutError,
  LlmUnavailableError,
  UnknownProviderError,
} from "./errors.js";
export { ExtractiveProvider, type ExtractiveProviderOptions } from "./extractive.js";
export { createLlmProviders, resolveProvider } from "./factory.js";
export { GeminiProvider, type GeminiProviderOptions } from "./gemini.js";
export { OpenAiCompatibleProvider, type OpenAiCompatibleProviderOptions } from "./openai-compatible.js";
export type {
  LlmCallOptions,
  LlmDocument,
  LlmFinishReason,
  LlmMessage,
  LlmProvider,
  LlmRequest,
  LlmResult,
  LlmStreamPart,
  LlmToolCall,
  LlmToolDefinition,
  LlmToolResult,
  LlmTurn,
  LlmUsage,
} from "./provider.js";
export {
  configuredProviders,
  defaultProvider,
  type LlmProviderInfo,
  type LlmProviderName,
  providersDefaultFirst,
} from "./providers.js";
