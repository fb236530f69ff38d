/**
 * The Prometheus text exposition format (version 0.0.4): a registry of
 * metrics that each give their samples at scrape time, and the writer of
 * the text. Written here rather than taken from prom-client: prom-client's
 * dependency chain (tdigest, bintrees) makes `deno compile` of Deno 2.9.3
 * abort with a stack overflow (the same failure as denoland/deno#36746), and
 * the compiled executable is how the server ships. The format is small:
 * `# HELP` and `# TYPE` lines, then one `name{labels} value` line per sample.
 *
 * @module
 */

/** One sample. `metricName` overrides the metric's name (`_bucket`, `_sum`, `_count`). */
export interface Sample {
  value: number;
  labels: Readonly<Record<string, string | number>>;
  metricName?: string;
}

/** A metric the registry writes. */
export interface Collectable {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  samples(): Sample[];
}

/** The content type of the text format. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The metrics one server exports, by name. */
export class MetricRegistry {
  readonly #metrics = new Map<string, Collectable>();

  /**
   * Adds a metric.
   *
   * @throws {Error} when a metric of that name exists
   */
  register(metric: Collectable): void {
    if (this.#metrics.has(metric.name)) {
      throw new Error(`Cannot register metric '${metric.name}': the name is taken`);
    }
    this.#metrics.set(metric.name, metric);
  }

  /** Whether a metric of that name exists. */
  has(name: string): boolean {
    return this.#metrics.has(name);
  }

  /** The names of every metric. */
  names(): string[] {
    return [...this.#metrics.keys()];
  }

  /** The exposition text. */
  text(): string {
    const blocks: string[] = [];
    for (const metric of this.#metrics.values()) {
      const lines = [
        `# HELP ${metric.name} ${escapeHelp(metric.help)}`,
        `# TYPE ${metric.name} ${metric.type}`,
      ];
      for (const sample of metric.samples()) {
        const labels = Object.entries(sample.labels)
          .map(([key, value]) => `${key}="${escapeLabel(String(value))}"`)
          .join(",");
        const name = sample.metricName ?? metric.name;
        lines.push(`${name}${labels === "" ? "" : `{${labels}}`} ${formatValue(sample.value)}`);
      }
      blocks.push(lines.join("\n"));
    }
    return blocks.join("\n\n") + "\n";
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Whether `name` is a valid metric name. */
export function isMetricName(name: string): boolean {
  return NAME.test(name);
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
