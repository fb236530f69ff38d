/**
 * The sink of runtimes' custom metrics: histograms (default buckets, as
 * MLServer's) with `model_name` and `model_version` labels, created by
 * `register()` or on first `log()`. Names the server exports itself are
 * refused, so a runtime cannot corrupt them.
 *
 * @module
 */

import type { CustomMetricSink } from "../runtime/custom_metrics.ts";
import { isMetricName, type MetricRegistry } from "./exposition.ts";
import { HistogramFamily, SEPARATOR } from "./families.ts";

const LABELS = ["model_name", "model_version"] as const;

/** Custom metrics in a registry. */
export class CustomMetrics implements CustomMetricSink {
  readonly #registry: MetricRegistry;
  readonly #metrics = new Map<string, HistogramFamily>();

  constructor(registry: MetricRegistry) {
    this.#registry = registry;
  }

  register(name: string, description: string): void {
    this.#metric(name, description);
  }

  observe(name: string, model: { name: string; version: string }, value: number): void {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new TypeError(`Cannot log custom metric '${name}': ${String(value)} is not a number`);
    }
    // Named at its first use when the runtime never registered it (no string built per call).
    (this.#metrics.get(name) ?? this.#metric(name, `Custom metric ${name}`))
      .observe(model.name + SEPARATOR + model.version, value);
  }

  #metric(name: string, help: string): HistogramFamily {
    let metric = this.#metrics.get(name);
    if (metric !== undefined) return metric;
    if (!isMetricName(name)) {
      throw new TypeError(`Cannot register custom metric '${name}': not a valid metric name`);
    }
    if (this.#registry.has(name)) {
      throw new Error(`Cannot register custom metric '${name}': the server exports that name`);
    }
    metric = new HistogramFamily(this.#registry, name, help, { labels: LABELS });
    this.#metrics.set(name, metric);
    return metric;
  }
}
