/**
 * `MLModel`, the class every runtime extends: MLServer's `MLModel` with
 * TypeScript types. The server constructs it with the model's resolved
 * settings, awaits `load()`, then calls `predict()` for each request.
 *
 * @module
 */

import type { ModelSettings } from "../settings/model_settings.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  MetadataTensor,
  ModelMetadata,
} from "../protocol/types.ts";

/**
 * Base class of every model runtime.
 *
 * @example A model that doubles its input
 * ```ts
 * import { MLModel, type InferenceRequest, type InferenceResponse } from "mlserver";
 *
 * class Doubler extends MLModel {
 *   override async load(): Promise<boolean> {
 *     return true;
 *   }
 *   async predict(request: InferenceRequest): Promise<InferenceResponse> {
 *     const input = request.inputs[0]!;
 *     const data = Float64Array.from(input.data as Float64Array, (x) => x * 2);
 *     return {
 *       model_name: this.name,
 *       outputs: [{ name: "doubled", datatype: "FP64", shape: input.shape, data }],
 *     };
 *   }
 * }
 *
 * const model = new Doubler({ name: "doubler" });
 * await model.load();
 * const out = await model.predict({
 *   inputs: [{ name: "x", datatype: "FP64", shape: [2], data: new Float64Array([1, 2]) }],
 * });
 * console.assert(out.outputs[0]!.data[1] === 4);
 * ```
 */
export abstract class MLModel {
  /** The model's resolved settings. */
  readonly settings: ModelSettings;
  /** Whether the model is loaded and serving; the server sets it. */
  ready = false;

  /**
   * @param settings resolved settings; a partial object (name and
   * implementation) is enough in tests
   */
  constructor(settings: ModelSettings | ModelSettingsLike) {
    this.settings = completeSettings(settings);
  }

  /** The model's name. */
  get name(): string {
    return this.settings.name;
  }

  /** The model's version (`parameters.version`), if it has one. */
  get version(): string | undefined {
    return this.settings.parameters.version;
  }

  /**
   * Loads weights and anything else predict() needs. Return false (or throw)
   * when the model cannot serve; the server then reports it FAILED.
   */
  load(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /** Runs inference on one request. */
  abstract predict(request: InferenceRequest): Promise<InferenceResponse>;

  /**
   * Streams responses for a stream of requests. Optional: without it the
   * streaming endpoints answer 501.
   */
  predictStream?(requests: AsyncIterable<InferenceRequest>): AsyncIterable<InferenceResponse>;

  /** Releases what load() acquired. */
  unload(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /** Model metadata; built from settings unless overridden. */
  metadata(): Promise<ModelMetadata> {
    const { name, versions, platform, inputs, outputs, parameters } = this.settings;
    const metadata: ModelMetadata = {
      name,
      versions: [...versions],
      platform,
      inputs: inputs.map(copyTensor),
      outputs: outputs.map(copyTensor),
    };
    if (parameters.content_type !== undefined) {
      metadata.parameters = { content_type: parameters.content_type };
    }
    return Promise.resolve(metadata);
  }
}

/** The least a test or a script must give to build a model by hand. */
export interface ModelSettingsLike {
  name: string;
  implementation?: string;
  parameters?: Partial<ModelSettings["parameters"]>;
  [key: string]: unknown;
}

function completeSettings(settings: ModelSettings | ModelSettingsLike): ModelSettings {
  const given = settings as Partial<ModelSettings>;
  if (
    Array.isArray(given.versions) && Array.isArray(given.inputs) &&
    Array.isArray(given.outputs) && given.parameters?.extra !== undefined
  ) {
    return settings as ModelSettings;
  }
  return {
    platform: "",
    versions: [],
    inputs: [],
    outputs: [],
    warm_workers: false,
    max_batch_size: 0,
    max_batch_time: 0,
    cache_enabled: false,
    ...given,
    name: settings.name,
    implementation: settings.implementation ?? "",
    parameters: { extra: {}, ...given.parameters },
  } as ModelSettings;
}

function copyTensor(tensor: MetadataTensor): MetadataTensor {
  return { ...tensor, shape: [...tensor.shape] };
}
