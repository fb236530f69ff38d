/**
 * The structural adapter: a class that has a `predict()` method but does not
 * extend `MLModel` (a module that only used `import type` from the SDK, or a
 * plain JavaScript class) becomes a `Model`. Whatever the class leaves out
 * gets MLServer's default: load and unload succeed, metadata comes from
 * settings, streaming answers 501.
 *
 * @module
 */

import { UnimplementedError } from "../errors.ts";
import type { InferenceRequest, InferenceResponse, ModelMetadata } from "../protocol/types.ts";
import type { ModelSettings } from "../settings/model_settings.ts";
import { type Model, type PredictContext, settingsMetadata } from "./model.ts";

/** The parts of the model surface a structural class may implement. */
export interface StructuralInstance {
  predict(request: InferenceRequest, context?: PredictContext): Promise<InferenceResponse>;
  load?(): Promise<boolean | void> | boolean | void;
  unload?(): Promise<boolean | void> | boolean | void;
  metadata?(): Promise<ModelMetadata> | ModelMetadata;
  predictStream?(
    requests: AsyncIterable<InferenceRequest>,
    context?: PredictContext,
  ): AsyncIterable<InferenceResponse>;
  ready?: boolean;
}

/** A `Model` around an instance that has only some of its methods. */
export class StructuralModel implements Model {
  readonly settings: ModelSettings;
  readonly #inner: StructuralInstance;
  #ready = false;

  constructor(settings: ModelSettings, inner: StructuralInstance) {
    this.settings = settings;
    this.#inner = inner;
  }

  get name(): string {
    return this.settings.name;
  }

  get version(): string | undefined {
    return this.settings.parameters.version;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Also passed on to the instance, which may read `this.ready` as an `MLModel` would. */
  set ready(ready: boolean) {
    this.#ready = ready;
    try {
      this.#inner.ready = ready;
    } catch {
      // A read-only `ready` of the class's own: it keeps its own notion.
    }
  }

  async load(): Promise<boolean> {
    return (await this.#inner.load?.()) !== false;
  }

  predict(request: InferenceRequest, context: PredictContext): Promise<InferenceResponse> {
    return this.#inner.predict(request, context);
  }

  predictStream(
    requests: AsyncIterable<InferenceRequest>,
    context: PredictContext,
  ): AsyncIterable<InferenceResponse> {
    if (this.#inner.predictStream === undefined) return unimplemented(this.name);
    return this.#inner.predictStream(requests, context);
  }

  async unload(): Promise<boolean> {
    return (await this.#inner.unload?.()) !== false;
  }

  async metadata(): Promise<ModelMetadata> {
    return this.#inner.metadata === undefined
      ? settingsMetadata(this.settings)
      : await this.#inner.metadata();
  }
}

// deno-lint-ignore require-yield
async function* unimplemented(name: string): AsyncGenerator<InferenceResponse> {
  throw new UnimplementedError(`Model ${name} does not support streaming`);
}
