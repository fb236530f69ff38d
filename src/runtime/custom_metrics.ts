/**
 * Custom metrics for runtime authors, MLServer's `register(name,
 * description)` and `log({ name: value })`: histograms labelled with the
 * calling model's `model_name` and `model_version`. The calling model is
 * found through an `AsyncLocalStorage` scope that `CustomMetricsScope` (a
 * link of the wrapper chain) opens around the runtime's calls. Entering a
 * scope costs about 0.8 µs under Deno, so predictions run inside one only
 * for models that use custom metrics: those that called `register()` or
 * `log()` in `load()` (MLServer's advice) or in their first prediction.
 *
 * Where the observations go is the scope's `CustomMetricSink`: the
 * server's metrics registry on the main thread; in a future worker, a sink
 * that posts each observation to the main thread as a message.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { InferenceRequest, InferenceResponse } from "../protocol/types.ts";
import type { Model, PredictContext } from "./model.ts";
import { ModelWrapper } from "./wrapper.ts";

/** Where custom metric observations go. */
export interface CustomMetricSink {
  /** Creates the metric (or keeps the existing one). */
  register(name: string, description: string): void;
  /** Observes `value` for the model; registers the metric first when needed. */
  observe(name: string, model: { name: string; version: string }, value: number): void;
}

interface Scope {
  readonly sink: CustomMetricSink;
  readonly name: string;
  readonly version: string;
  used: boolean;
}

const scopes = new AsyncLocalStorage<Scope>();

function current(what: string): Scope {
  const scope = scopes.getStore();
  if (scope === undefined) {
    throw new Error(
      `Cannot ${what} a custom metric outside a model's load() or predict(): ` +
        "call register() in load() so that later predictions are bound to the model",
    );
  }
  scope.used = true;
  return scope;
}

/**
 * Registers a custom metric (a histogram with `model_name` and
 * `model_version` labels) for the calling model. Call it in `load()`.
 *
 * @example Register in load(), log in predict()
 * ```ts
 * import { type InferenceResponse, log, MLModel, register } from "mlserver";
 * class Timed extends MLModel {
 *   override load(): Promise<boolean> {
 *     register("my_rows", "Rows per request");
 *     return Promise.resolve(true);
 *   }
 *   predict(): Promise<InferenceResponse> {
 *     log({ my_rows: 1 });
 *     return Promise.resolve({ model_name: this.name, outputs: [] });
 *   }
 * }
 * console.assert(typeof Timed === "function");
 * ```
 *
 * @throws {Error} outside a model's `load()` or `predict()`
 */
export function register(name: string, description: string): void {
  current("register").sink.register(name, description);
}

/**
 * Observes custom metrics for the calling model, registering unknown names
 * with a placeholder description.
 *
 * @example Only inside a model's calls
 * ```ts
 * import { log } from "mlserver";
 * let message = "";
 * try {
 *   log({ my_rows: 3 }); // not inside a model's load() or predict()
 * } catch (err) {
 *   message = (err as Error).message;
 * }
 * console.assert(message.includes("outside a model's load() or predict()"));
 * ```
 *
 * @throws {Error} outside a model's `load()` or `predict()`
 */
export function log(values: Readonly<Record<string, number>>): void {
  const scope = current("log");
  for (const [name, value] of Object.entries(values)) {
    scope.sink.observe(name, scope, value);
  }
}

/**
 * The link that binds custom metrics to a model: `load()`, `unload()` and
 * `metadata()` always run in the model's scope; predictions do once the
 * model has used a custom metric (and the first one does, to find out).
 */
export class CustomMetricsScope extends ModelWrapper {
  readonly #scope: Scope;
  #first = true;

  constructor(inner: Model, sink: CustomMetricSink) {
    super(inner);
    this.#scope = { sink, name: inner.name, version: inner.version ?? "", used: false };
  }

  override load(): Promise<boolean> {
    return scopes.run(this.#scope, () => this.inner.load());
  }

  override unload(): Promise<boolean> {
    return scopes.run(this.#scope, () => this.inner.unload());
  }

  override predict(request: InferenceRequest, context: PredictContext): Promise<InferenceResponse> {
    if (!this.#scope.used && !this.#first) return this.inner.predict(request, context);
    this.#first = false;
    return scopes.run(this.#scope, () => this.inner.predict(request, context));
  }

  override predictStream(
    requests: AsyncIterable<InferenceRequest>,
    context: PredictContext,
  ): AsyncIterable<InferenceResponse> {
    const inner = this.inner;
    const scope = this.#scope;
    // Each step of the stream runs in the scope: a generator's body runs in
    // the context of whoever calls next(), not of whoever created it.
    return {
      [Symbol.asyncIterator]: () => {
        const it = scopes.run(scope, () => inner.predictStream(requests, context))[
          Symbol.asyncIterator
        ]();
        return {
          next: () => scopes.run(scope, () => it.next()),
          return: (value?: unknown) =>
            scopes.run(
              scope,
              () =>
                it.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined }),
            ),
        };
      },
    };
  }
}
