/**
 * Request parameters whose `headers` entry (the transport's headers or
 * metadata) is built on first read: most runtimes never look, and copying
 * every header costs more than the rest of a small request.
 *
 * @module
 */

import type { Parameters } from "./types.ts";

/**
 * Copies `parameters` with `headers` replaced by what `load()` returns, built
 * on first read. Any `headers` the client sent are dropped: transports own
 * that key.
 */
export function withLazyHeaders(
  parameters: Parameters | undefined,
  load: () => Record<string, string>,
): Parameters {
  return new LazyHeaderParameters(parameters, load) as unknown as Parameters;
}

/**
 * The getter lives on the prototype, so every instance shares one hidden
 * class: a per-object `defineProperty` accessor made V8's young-generation
 * collections 50 times slower under load.
 */
class LazyHeaderParameters {
  readonly #load: () => Record<string, string>;

  constructor(client: Parameters | undefined, load: () => Record<string, string>) {
    this.#load = load;
    if (client !== undefined) {
      for (const key of Object.keys(client)) {
        if (key !== "headers") (this as Record<string, unknown>)[key] = client[key];
      }
    }
  }

  get headers(): Record<string, string> {
    const record = this.#load();
    this.headers = record;
    return record;
  }

  set headers(value: Record<string, string>) {
    Object.defineProperty(this, "headers", {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}
