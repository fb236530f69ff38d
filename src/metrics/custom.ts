/**
 * The sink of runtimes' custom metrics: prom-client histograms (default
 * buckets, as MLServer's) with `model_name` and `model_version` labels,
 * created by `register()` or on first `log()`. Names the server exports
 * itself are refused, so a runtime cannot corrupt them.
 *
 * @module
 */

import { Histogram, type Registry } from "prom-client";
import type { CustomMetricSink } from "../runtime/custom_metrics.ts";

const LABELS = ["model_name", "model_version"] as const;

/** Custom metrics in a registry. */
export class CustomMetrics implements CustomMetricSink {
  readonly #registry: Registry;
  readonly #reserved: ReadonlySet<string>;
  readonly #metrics = new Map<string, Histogram<(typeof LABELS)[number]>>();

  /** @param reserved names of the server's own metrics */
  constructor(registry: Registry, reserved: ReadonlySet<string>) {
    this.#registry = registry;
    this.#reserved = reserved;
  }

  register(name: string, description: string): void {
    this.#metric(name, description);
  }

  observe(name: string, model: { name: string; version: string }, value: number): void {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new TypeError(`Cannot log custom metric '${name}': ${String(value)} is not a number`);
    }
    this.#metric(name, `Custom metric ${name}`).observe(
      { model_name: model.name, model_version: model.version },
      value,
    );
  }

  #metric(name: string, help: string): Histogram<(typeof LABELS)[number]> {
    let metric = this.#metrics.get(name);
    if (metric !== undefined) return metric;
    if (this.#reserved.has(name) || this.#registry.getSingleMetric(name) !== undefined) {
      throw new Error(`Cannot register custom metric '${name}': the server exports that name`);
    }
    metric = new Histogram({ name, help, labelNames: LABELS, registers: [this.#registry] });
    this.#metrics.set(name, metric);
    return metric;
  }
}
