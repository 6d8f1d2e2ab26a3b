import { loadConfig } from "../../core/config/index.js";
import {
  type AppContext,
  type CapabilityFactories,
  createAppContext,
  createContext,
  restrictContext,
} from "../../core/context/index.js";
import { createLogger } from "../../core/logging/index.js";

let context: AppContext | undefined;

/**
 * The process-wide context, built on first use from the environment: once per Lambda
 * container or local process, never per request. Lazy so importing a function module
 * (to read its OpenAPI document, say) needs no configuration. Every capability is available.
 */
export function defaultContext(): AppContext {
  if (!context) {
    const settings = loadConfig();
    context = createAppContext(settings, createLogger(settings));
  }
  return context;
}

/**
 * The process-wide context of a function that uses only `capabilities`: deployed, only their
 * libraries are in its bundle; under the local runner (which sets a full context), a view of it
 * with those capabilities alone, so a missing one fails there as it would deployed.
 */
export function contextWith(capabilities: CapabilityFactories): () => AppContext {
  return () => {
    if (!context) {
      const settings = loadConfig();
      context = createContext(settings, createLogger(settings), capabilities);
    }
    return restrictedView(context, capabilities);
  };
}

const views = new WeakMap<AppContext, WeakMap<CapabilityFactories, AppContext>>();

/** `context` seen with `capabilities` alone; one view per pair, not one per request. */
export function restrictedView(context: AppContext, capabilities: CapabilityFactories): AppContext {
  let byFactories = views.get(context);
  if (!byFactories) {
    byFactories = new WeakMap();
    views.set(context, byFactories);
  }
  let view = byFactories.get(capabilities);
  if (!view) {
    view = restrictContext(context, capabilities);
    byFactories.set(capabilities, view);
  }
  return view;
}

/** Lets the local runner build the context itself (from a .env file, with stand-ins). */
export function setDefaultContext(value: AppContext): void {
  context = value;
}
