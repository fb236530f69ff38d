/**
 * Settings MLServer has that this server accepts (so existing files keep
 * working) but does not act on yet. Each one that is set gets one warning
 * at startup or load, so nobody believes a setting took effect when it did
 * not (MLServer's adaptive batching, its worker processes, its response
 * cache).
 *
 * @module
 */

import type { ModelSettings } from "./model_settings.ts";
import type { ServerSettings } from "./server_settings.ts";

/** One warning per server setting that is set but has no effect. */
export function serverSettingsNotApplied(settings: ServerSettings): string[] {
  const warnings: string[] = [];
  if (settings.parallel_workers > 0) {
    warnings.push(
      `parallel_workers=${settings.parallel_workers} has no effect yet: every model runs in ` +
        `the server process (inference does not block the event loop for async runtimes)`,
    );
  }
  if (settings.cache_enabled) {
    warnings.push("cache_enabled has no effect yet: responses are not cached");
  }
  return warnings;
}

/** One warning per model setting that is set but has no effect. */
export function modelSettingsNotApplied(settings: ModelSettings): string[] {
  const warnings: string[] = [];
  if (settings.max_batch_size > 1 && settings.max_batch_time > 0) {
    warnings.push(
      `max_batch_size=${settings.max_batch_size} and max_batch_time=${settings.max_batch_time} ` +
        `have no effect yet: requests are not merged (each runs its own predict)`,
    );
  } else if (settings.max_batch_size > 1 || settings.max_batch_time > 0) {
    warnings.push(
      "max_batch_size and max_batch_time have no effect (adaptive batching needs both, " +
        "and is not implemented yet)",
    );
  }
  if (settings.parallel_workers !== undefined && settings.parallel_workers !== null) {
    if (settings.parallel_workers > 0) {
      warnings.push(
        `parallel_workers=${settings.parallel_workers} has no effect yet: the model runs in ` +
          `the server process`,
      );
    }
  }
  if (settings.cache_enabled) {
    warnings.push("cache_enabled has no effect yet: responses are not cached");
  }
  return warnings;
}
