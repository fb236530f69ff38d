/**
 * Counter, gauge and histogram families whose hot path is a map lookup and
 * an addition; the registry asks each for its samples at scrape time.
 * (prom-client's metric objects cost 400-650 ns per update under Deno, label
 * hashing and validation on every call, measured; a REST request touches
 * five of them and costs about 22 µs in all: that alone would eat the 5%
 * the hot path may lose.)
 *
 * @module
 */

import type { Collectable, MetricRegistry, Sample } from "./exposition.ts";

/** Prometheus' default histogram buckets (what MLServer's exporters use), in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10,
];

/** Joins label values into a series key (a character no label value contains). */
export const SEPARATOR = "\u0000";

abstract class Family<S> implements Collectable {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly series = new Map<string, { labels: Record<string, string>; value: S }>();

  constructor(registry: MetricRegistry, name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    registry.register(this);
  }

  /**
   * The series of a label set, created at zero on first use. `key` is the
   * label values in `labelNames` order joined by `SEPARATOR`: callers build
   * it with one concatenation, and nothing else is allocated on a hit.
   */
  at(key: string): S {
    let entry = this.series.get(key);
    if (entry === undefined) {
      const values = this.labelNames.length === 0 ? [] : key.split(SEPARATOR);
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => labels[name] = values[i] ?? "");
      entry = { labels, value: this.initial() };
      this.series.set(key, entry);
    }
    return entry.value;
  }

  protected abstract initial(): S;
  abstract samples(): Sample[];
  abstract readonly type: Collectable["type"];
}

/** A counter (or, with `add` of negative values, a gauge) per label set. */
export class CounterFamily extends Family<{ n: number }> {
  readonly type: "counter" | "gauge";

  constructor(
    registry: MetricRegistry,
    name: string,
    help: string,
    options: { labels: readonly string[]; gauge?: boolean },
  ) {
    super(registry, name, help, options.labels);
    this.type = options.gauge === true ? "gauge" : "counter";
  }

  /** Adds `amount` to the series of `key` (see `at`). */
  add(key: string, amount: number): void {
    this.at(key).n += amount;
  }

  protected initial(): { n: number } {
    return { n: 0 };
  }

  samples(): Sample[] {
    return [...this.series.values()].map(({ labels, value }) => ({ labels, value: value.n }));
  }
}

/** One histogram series: counts per bucket (not cumulative), sum and count. */
export interface HistogramSeries {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** A histogram per label set. */
export class HistogramFamily extends Family<HistogramSeries> {
  readonly type = "histogram";
  readonly #bounds: readonly number[];

  constructor(
    registry: MetricRegistry,
    name: string,
    help: string,
    options: { labels: readonly string[]; buckets?: readonly number[] },
  ) {
    super(registry, name, help, options.labels);
    this.#bounds = options.buckets ?? DEFAULT_BUCKETS;
    // A histogram without labels exports its zeros from the start, as prom-client's do.
    if (options.labels.length === 0) this.at("");
  }

  /** Records `value` in the series of `key` (see `at`). */
  observe(key: string, value: number): void {
    this.record(this.at(key), value);
  }

  /** Records `value` in a series this family made (callers may keep a series at hand). */
  record(series: HistogramSeries, value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.buckets[i]!++;
    series.sum += value;
    series.count++;
  }

  protected initial(): HistogramSeries {
    return { buckets: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
  }

  samples(): Sample[] {
    const out: Sample[] = [];
    for (const { labels, value } of this.series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += value.buckets[i]!;
        out.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: bound },
          value: cumulative,
        });
      });
      out.push({
        metricName: `${this.name}_bucket`,
        labels: { ...labels, le: "+Inf" },
        value: value.count,
      });
      out.push({ metricName: `${this.name}_sum`, labels, value: value.sum });
      out.push({ metricName: `${this.name}_count`, labels, value: value.count });
    }
    return out;
  }
}
