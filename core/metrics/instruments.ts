import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { MeasurementSink, MetricUnit } from "./sink.js";

export type Labels<L extends string> = Record<L, string | number>;

/** What a label value becomes once its label has seen too many distinct values. */
export const overflowLabel = "other";

/**
 * A second line of defence against unbounded labels (the first is never passing user names,
 * ids or paths): past `maxValues` distinct values a label's new values all become "other", so a
 * bug upstream costs one series, not one per request.
 */
class LabelGuard<L extends string> {
  private readonly seen = new Map<L, Set<string>>();
  private readonly labelNames: readonly L[];
  private readonly maxValues: number;

  constructor(labelNames: readonly L[], maxValues: number) {
    this.labelNames = labelNames;
    this.maxValues = maxValues;
  }

  bound(labels: Labels<L>): Record<L, string> {
    const bounded = {} as Record<L, string>;
    for (const name of this.labelNames) {
      const value = String(labels[name] ?? "").slice(0, 100);
      let values = this.seen.get(name);
      if (!values) {
        values = new Set();
        this.seen.set(name, values);
      }
      if (values.has(value) || values.size < this.maxValues) {
        values.add(value);
        bounded[name] = value;
      } else {
        bounded[name] = overflowLabel;
      }
    }
    return bounded;
  }
}

export interface InstrumentConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Distinct values each label may take before new ones collapse to "other". */
  maxValuesPerLabel?: number;
}

interface Sinks {
  registry: Registry;
  push: MeasurementSink;
}

const defaultMaxValues = 64;

/** What every instrument shares: its name, its label guard and the sinks it writes to. */
abstract class Instrument<L extends string> {
  readonly name: string;
  protected readonly guard: LabelGuard<L>;
  protected readonly sinks: Sinks;

  constructor(sinks: Sinks, config: InstrumentConfig<L>) {
    this.sinks = sinks;
    this.name = config.name;
    this.guard = new LabelGuard(config.labelNames, config.maxValuesPerLabel ?? defaultMaxValues);
  }

  /** The options every prom-client metric takes, registered in this instrument's registry. */
  protected promOptions(config: InstrumentConfig<L>) {
    return { name: config.name, help: config.help, labelNames: config.labelNames, registers: [this.sinks.registry] };
  }
}

export class CounterMetric<L extends string = never> extends Instrument<L> {
  private readonly counter: Counter<L>;

  constructor(sinks: Sinks, config: InstrumentConfig<L>) {
    super(sinks, config);
    this.counter = new Counter(this.promOptions(config));
  }

  inc(labels: Labels<L>, value = 1): void {
    if (!(value > 0)) return;
    const bounded = this.guard.bound(labels);
    this.counter.inc(bounded as never, value);
    this.sinks.push.record(this.name, "Count", bounded, value, "sum");
  }
}

export class HistogramMetric<L extends string = never> extends Instrument<L> {
  private readonly histogram: Histogram<L>;
  private readonly unit: MetricUnit;

  constructor(sinks: Sinks, config: InstrumentConfig<L> & { buckets: number[]; unit?: MetricUnit }) {
    super(sinks, config);
    this.unit = config.unit ?? "Seconds";
    this.histogram = new Histogram({ ...this.promOptions(config), buckets: config.buckets });
  }

  observe(labels: Labels<L>, value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const bounded = this.guard.bound(labels);
    this.histogram.observe(bounded as never, value);
    this.sinks.push.record(this.name, this.unit, bounded, value, "values");
  }

  /** Starts a clock; calling the result observes the seconds since (and returns them). */
  startTimer(labels: Labels<L>): () => number {
    const started = performance.now();
    return () => {
      const seconds = (performance.now() - started) / 1000;
      this.observe(labels, seconds);
      return seconds;
    };
  }
}

export class GaugeMetric<L extends string = never> extends Instrument<L> {
  private readonly gauge: Gauge<L>;
  private readonly unit: MetricUnit;
  /** Scrape-time gauges (consumer lag) mean nothing per invocation, so they are not pushed. */
  private readonly push: boolean;

  constructor(sinks: Sinks, config: InstrumentConfig<L> & { unit?: MetricUnit; push?: boolean }) {
    super(sinks, config);
    this.unit = config.unit ?? "Count";
    this.push = config.push ?? true;
    this.gauge = new Gauge(this.promOptions(config));
  }

  set(labels: Labels<L>, value: number): void {
    if (!Number.isFinite(value)) return;
    const bounded = this.guard.bound(labels);
    this.gauge.set(bounded as never, value);
    if (this.push) this.sinks.push.record(this.name, this.unit, bounded, value, "values");
  }

  /** Drops every series, so a partition or group that went away stops being reported. */
  reset(): void {
    this.gauge.reset();
  }
}
