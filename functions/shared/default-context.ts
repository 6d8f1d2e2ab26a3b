import { loadConfig } from "../../core/config/index.js";
import { type AppContext, createAppContext } from "../../core/context/index.js";
import { createLogger } from "../../core/logging/index.js";

let context: AppContext | undefined;

/**
 * The process-wide context, built on first use from the environment: once per Lambda
 * container or local process, never per request. Lazy so importing a function module
 * (to read its OpenAPI document, say) needs no configuration.
 */
export function defaultContext(): AppContext {
  if (!context) {
    const settings = loadConfig();
    context = createAppContext(settings, createLogger(settings));
  }
  return context;
}

/** Lets the local runner build the context itself (from a .env file, with stand-ins). */
export function setDefaultContext(value: AppContext): void {
  context = value;
}
