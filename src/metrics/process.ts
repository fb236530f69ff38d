/**
 * Process metrics, under the names prom-client's default metrics give them
 * (what Node and MLServer dashboards query): CPU time, start time, resident
 * memory, and the JavaScript heap. Read at scrape time. (Open file
 * descriptors would need `/proc/self/fd`, which Deno grants only with
 * every permission: left out.)
 *
 * @module
 */

import process from "node:process";
import type { Collectable, MetricRegistry, Sample } from "./exposition.ts";

function metric(
  name: string,
  type: "counter" | "gauge",
  help: string,
  value: () => number,
): Collectable {
  return { name, type, help, samples: (): Sample[] => [{ labels: {}, value: value() }] };
}

/** Registers the process metrics. */
export function registerProcessMetrics(registry: MetricRegistry): void {
  const startSeconds = Math.round(performance.timeOrigin / 1000);
  const cpu = (): { user: number; system: number } => process.cpuUsage();
  const memory = (): Deno.MemoryUsage => Deno.memoryUsage();
  for (
    const m of [
      metric(
        "process_cpu_user_seconds_total",
        "counter",
        "Total user CPU time spent in seconds.",
        () => cpu().user / 1e6,
      ),
      metric(
        "process_cpu_system_seconds_total",
        "counter",
        "Total system CPU time spent in seconds.",
        () => cpu().system / 1e6,
      ),
      metric(
        "process_cpu_seconds_total",
        "counter",
        "Total user and system CPU time spent in seconds.",
        () => {
          const { user, system } = cpu();
          return (user + system) / 1e6;
        },
      ),
      metric(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
        () => startSeconds,
      ),
      metric(
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
        () => memory().rss,
      ),
      metric(
        "nodejs_heap_size_total_bytes",
        "gauge",
        "Process heap size from JavaScript in bytes.",
        () => memory().heapTotal,
      ),
      metric(
        "nodejs_heap_size_used_bytes",
        "gauge",
        "Process heap size used from JavaScript in bytes.",
        () => memory().heapUsed,
      ),
      metric(
        "nodejs_external_memory_bytes",
        "gauge",
        "Node.js external memory size in bytes.",
        () => memory().external,
      ),
    ]
  ) registry.register(m);
  registry.register({
    name: "deno_version_info",
    type: "gauge",
    help: "Deno and V8 versions of the process.",
    samples: () => [{ labels: { deno: Deno.version.deno, v8: Deno.version.v8 }, value: 1 }],
  });
}
