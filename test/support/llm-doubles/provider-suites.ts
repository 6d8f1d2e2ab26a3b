import { afterAll, beforeAll } from "vitest";
import {
  GeminiProvider,
  type GeminiProviderOptions,
  type LlmRequest,
  OpenAiCompatibleProvider,
  type OpenAiCompatibleProviderOptions,
} from "../../../core/llm/index.js";
import { type GeminiDouble, startGeminiDouble } from "./gemini-double.js";
import { type OpenAiDouble, startOpenAiDouble } from "./openai-double.js";

/** The question both provider tests send, after a short history, as a chat turn would. */
export const question = "Documents:\n[1] name: Trailblazer Backpack\nprice: 89.99\n\nQuestion: Is it waterproof?";
export const conversation: LlmRequest = {
  system: "Answer only from the supplied data and cite sources as [n].",
  messages: [
    { role: "user", content: "What does the Trailblazer cost?" },
    { role: "assistant", content: "It costs 89.99 [1]." },
    { role: "user", content: question },
  ],
};

/** Two retries, with backoffs short enough for a test to sit out. */
export const quickRetries = {
  maxRetries: 2,
  retryDelays: { baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 1_000 },
};

/** What every provider under test starts from: a 2 s call, no retries, a low temperature, short answers. */
const callDefaults = { timeoutMs: 2_000, maxRetries: 0, temperature: 0.2, maxTokens: 256 };

/** A double started in beforeAll for the enclosing describe block and closed in afterAll. */
function startedFor<Double extends { close(): Promise<void> }>(start: () => Promise<Double>): () => Double {
  let double: Double | undefined;
  beforeAll(async () => {
    double = await start();
  });
  afterAll(() => double?.close());
  return () => {
    if (!double) throw new Error("the double starts in beforeAll");
    return double;
  };
}

/** An OpenAI-compatible double (checking `apiKey` when given) and providers of model "any" pointed at it. */
export function openAiSuite(
  doubleOptions: { apiKey?: string } = {},
  defaults: Partial<OpenAiCompatibleProviderOptions> = {},
): {
  readonly double: OpenAiDouble;
  provider(overrides?: Partial<OpenAiCompatibleProviderOptions>): OpenAiCompatibleProvider;
} {
  const double = startedFor(() => startOpenAiDouble(doubleOptions));
  return {
    get double() {
      return double();
    },
    provider: (overrides = {}) =>
      new OpenAiCompatibleProvider({
        baseUrl: double().baseUrl,
        model: "any",
        ...callDefaults,
        ...defaults,
        ...overrides,
      }),
  };
}

/** A Gemini double accepting `apiKey`, and providers with that key pointed at it. */
export function geminiSuite(
  apiKey: string,
  defaults: Partial<GeminiProviderOptions> = {},
): { readonly double: GeminiDouble; provider(overrides?: Partial<GeminiProviderOptions>): GeminiProvider } {
  const double = startedFor(() => startGeminiDouble({ apiKey }));
  return {
    get double() {
      return double();
    },
    provider: (overrides = {}) =>
      new GeminiProvider({
        apiKey,
        model: "gemini-test",
        baseUrl: double().url,
        ...callDefaults,
        ...defaults,
        ...overrides,
      }),
  };
}
