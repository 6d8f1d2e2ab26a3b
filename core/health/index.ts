export {
  type ComponentHealth,
  type ComponentProbe,
  type ComponentState,
  checkHealth,
  type HealthReport,
} from "./check.js";
