import { type AppContext, createAppContext } from "../../core/context/index.js";
import { createLogger } from "../../core/logging/index.js";
import { testSettings } from "./services.js";

/** A real context over the local test services; close it in afterAll. */
export function createTestContext(overrides: Record<string, string> = {}): AppContext {
  const settings = testSettings(overrides);
  return createAppContext(settings, createLogger(settings));
}
