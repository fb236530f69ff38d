/**
 * `ModelWrapper`, the base of every link of the wrapper chain: a `Model`
 * around another `Model` that forwards everything, so a wrapper overrides
 * only what it changes. Readiness is forwarded too: the registry sets it on
 * the outermost link and the runtime inside sees it.
 *
 * @module
 */

import type { InferenceRequest, InferenceResponse, ModelMetadata } from "../protocol/types.ts";
import type { ModelSettings } from "../settings/model_settings.ts";
import type { Model, PredictContext } from "./model.ts";

/** A `Model` that delegates to the one it wraps. */
export abstract class ModelWrapper implements Model {
  /** The model this one wraps (a runtime, or another wrapper). */
  protected readonly inner: Model;

  constructor(inner: Model) {
    this.inner = inner;
  }

  get settings(): ModelSettings {
    return this.inner.settings;
  }

  get name(): string {
    return this.inner.name;
  }

  get version(): string | undefined {
    return this.inner.version;
  }

  get ready(): boolean {
    return this.inner.ready;
  }

  set ready(ready: boolean) {
    this.inner.ready = ready;
  }

  load(): Promise<boolean> {
    return this.inner.load();
  }

  predict(request: InferenceRequest, context: PredictContext): Promise<InferenceResponse> {
    return this.inner.predict(request, context);
  }

  predictStream(
    requests: AsyncIterable<InferenceRequest>,
    context: PredictContext,
  ): AsyncIterable<InferenceResponse> {
    return this.inner.predictStream(requests, context);
  }

  unload(): Promise<boolean> {
    return this.inner.unload();
  }

  metadata(): Promise<ModelMetadata> {
    return this.inner.metadata();
  }
}
