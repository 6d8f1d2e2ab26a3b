export { EmfBuffer, type EmfUnit, emfObject } from "./emf.js";
export { CounterMetric, GaugeMetric, HistogramMetric, type Labels, overflowLabel } from "./instruments.js";
export {
  type ConsumerTopic,
  type LagOptions,
  type PartitionLag,
  readConsumerLag,
  refreshConsumerLag,
} from "./lag.js";
export {
  flushMetrics,
  type Metrics,
  type MetricsMode,
  metrics,
  metricsMode,
  renderMetrics,
  setMetricsMode,
} from "./registry.js";
