export { CounterMetric, GaugeMetric, HistogramMetric, type Labels, overflowLabel } from "./instruments.js";
export {
  type ConsumerTopic,
  type LagOptions,
  type PartitionLag,
  readConsumerLag,
  refreshConsumerLag,
} from "./lag.js";
export {
  type Metrics,
  type MetricsMode,
  metrics,
  metricsMode,
  renderMetrics,
  setMeasurementSink,
  setMetricsMode,
} from "./registry.js";
export type { MeasurementSink, MetricUnit } from "./sink.js";
