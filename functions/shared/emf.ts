import {
  type MeasurementSink,
  type MetricsMode,
  type MetricUnit,
  setMetricsMode as setCoreMetricsMode,
  setMeasurementSink,
} from "../../core/metrics/index.js";

/** CloudWatch's units for what this service measures. */
export type EmfUnit = MetricUnit;

interface EmfEntry {
  name: string;
  unit: EmfUnit;
  labels: Record<string, string>;
  /** Counters add up between flushes; histograms and gauges keep each value. */
  aggregate: "sum" | "values";
  values: number[];
}

/** CloudWatch takes at most 100 values per metric in one EMF object. */
const maxValuesPerLine = 100;
/** A bound on memory if flushes stop coming: past it, values are dropped until the next flush. */
const maxBufferedValues = 20_000;

/**
 * Measurements waiting to be written as CloudWatch Embedded Metric Format lines: in serverless
 * deployments nothing scrapes a function's memory, so each invocation writes what it measured.
 * Records nothing until enabled, so the default Prometheus mode pays only a boolean check.
 */
export class EmfBuffer implements MeasurementSink {
  private enabled = false;
  private readonly entries = new Map<string, EmfEntry>();
  private buffered = 0;

  enable(on: boolean): void {
    this.enabled = on;
    if (!on) this.clear();
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  record(name: string, unit: EmfUnit, labels: Record<string, string>, value: number, aggregate: "sum" | "values") {
    if (!this.enabled) return;
    const key = `${name}\u0000${Object.entries(labels)
      .map(([label, labelValue]) => `${label}=${labelValue}`)
      .join("\u0000")}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { name, unit, labels, aggregate, values: [] };
      this.entries.set(key, entry);
    }
    if (aggregate === "sum" && entry.values.length > 0) {
      entry.values[0] = (entry.values[0] ?? 0) + value;
      return;
    }
    if (this.buffered >= maxBufferedValues) return;
    this.buffered++;
    entry.values.push(value);
  }

  /**
   * Writes one EMF object per metric and label set (values split into lines of at most 100) and
   * empties the buffer. Returns how many lines were written.
   * @example buffer.flush("chat-with-your-data", (line) => process.stdout.write(`${line}\n`))
   */
  flush(namespace: string, write: (line: string) => void, timestamp = Date.now()): number {
    const entries = [...this.entries.values()];
    this.clear();
    let lines = 0;
    for (const entry of entries) {
      for (let start = 0; start < entry.values.length; start += maxValuesPerLine) {
        const values = entry.values.slice(start, start + maxValuesPerLine);
        write(JSON.stringify(emfObject(namespace, entry, values, timestamp)));
        lines++;
      }
    }
    return lines;
  }

  private clear(): void {
    this.entries.clear();
    this.buffered = 0;
  }
}

/** One EMF object: the `_aws` directive, the labels as dimensions, the metric's value(s) under its name. */
export function emfObject(
  namespace: string,
  entry: Pick<EmfEntry, "name" | "unit" | "labels">,
  values: readonly number[],
  timestamp: number,
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(entry.labels)],
          Metrics: [{ Name: entry.name, Unit: entry.unit }],
        },
      ],
    },
    ...entry.labels,
    [entry.name]: values.length === 1 ? values[0] : [...values],
  };
}

// On globalThis, like the registry: a process that loads this module twice still has one buffer.
const bufferKey = Symbol.for("chat-with-your-data.emf");

function processBuffer(): EmfBuffer {
  const holder = globalThis as unknown as Record<symbol, EmfBuffer | undefined>;
  let buffer = holder[bufferKey];
  if (!buffer) {
    buffer = new EmfBuffer();
    holder[bufferKey] = buffer;
    setMeasurementSink(buffer);
  }
  return buffer;
}

/** The process's mode (a setting, so the same for every context a process builds): emf buffers what is measured. */
export function setMetricsMode(mode: MetricsMode): void {
  const buffer = processBuffer();
  setCoreMetricsMode(mode);
  buffer.enable(mode === "emf");
}

const writeStdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

/**
 * In emf mode, writes what was measured since the last flush as EMF lines (stdout, where
 * CloudWatch reads them); a no-op otherwise. Returns how many lines were written.
 * @example flushMetrics({ namespace: settings.SERVICE_NAME })
 */
export function flushMetrics(options: { namespace: string; write?: (line: string) => void }): number {
  const buffer = processBuffer();
  if (!buffer.isEnabled) return 0;
  return buffer.flush(options.namespace, options.write ?? writeStdout);
}
