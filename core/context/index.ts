export {
  type AppContext,
  type AppContextOptions,
  type Capabilities,
  type Capability,
  type CapabilityFactories,
  type CapabilityName,
  CapabilityNotBuiltError,
  createContext,
  probedCapabilities,
  restrictContext,
  withNeeds,
} from "./app-context.js";
export { allCapabilities, createAppContext } from "./capabilities.js";
