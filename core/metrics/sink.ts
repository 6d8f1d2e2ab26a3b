/** The units measurements are pushed in (CloudWatch's names, which other sinks understand too). */
export type MetricUnit = "Seconds" | "Count" | "Count/Second";

/**
 * Where measurements go besides the Prometheus registry, when an adapter installs one (see
 * setMeasurementSink): a serverless function has no one scraping its memory, so it pushes them.
 */
export interface MeasurementSink {
  /** Counters add up between pushes (`sum`); histograms and gauges keep each value (`values`). */
  record(
    name: string,
    unit: MetricUnit,
    labels: Record<string, string>,
    value: number,
    aggregate: "sum" | "values",
  ): void;
}
