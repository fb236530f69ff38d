/**
 * `MLModel`, the class every runtime extends: MLServer's `MLModel` with
 * TypeScript types. The server constructs it with the model's resolved
 * settings, awaits `load()`, then calls `predict()` for each request.
 *
 * @module
 */

import type { InputCodec, RequestCodec, TensorLike } from "../codecs/codec.ts";
import { type CodecRegistry, defaultCodecs } from "../codecs/registry.ts";
import { CodecError } from "../errors.ts";
import type { ModelSettings } from "../settings/model_settings.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  MetadataTensor,
  ModelMetadata,
  ResponseOutput,
} from "../protocol/types.ts";

/**
 * A codec named by content type, or the codec itself.
 *
 * @example Both forms
 * ```ts
 * import { type CodecChoice, type InputCodec, StringCodec } from "mlserver";
 * const byName: CodecChoice<InputCodec> = "str";
 * const byValue: CodecChoice<InputCodec> = StringCodec as InputCodec;
 * console.assert(byName === byValue.contentType);
 * ```
 */
export type CodecChoice<C> = string | C;

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
   * This model's codecs: MLServer's built-ins, which a runtime may extend
   * (`this.codecs.addInputCodec(myCodec)`) in its constructor or `load()`.
   */
  readonly codecs: CodecRegistry = defaultCodecs();

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

  /**
   * Decodes one input. The content type comes from the input's own
   * `parameters.content_type`, else the model's `inputs` metadata, else
   * `defaultCodec`; with none of them (or an unknown one), the raw tensor
   * data is returned.
   *
   * @example
   * ```ts
   * import { MLModel, type InferenceRequest, type InferenceResponse } from "mlserver";
   * class Greeter extends MLModel {
   *   predict(request: InferenceRequest): Promise<InferenceResponse> {
   *     const names = this.decode(request.inputs[0]!, "str") as string[];
   *     return Promise.resolve({ model_name: this.name, outputs: [this.encode("greeting", names.map((n) => `hi ${n}`))] });
   *   }
   * }
   * const out = await new Greeter({ name: "g" }).predict({
   *   inputs: [{ name: "who", datatype: "BYTES", shape: [1], data: ["ada"] }],
   * });
   * console.assert(out.outputs[0]!.data[0] === "hi ada");
   * ```
   */
  decode(input: TensorLike, defaultCodec?: CodecChoice<InputCodec>): unknown {
    const codec = this.#inputCodec(input, defaultCodec);
    return codec === undefined ? input.data : codec.decode(input);
  }

  /**
   * Decodes a whole request: the request's own `parameters.content_type`,
   * else the model's `parameters.content_type`, else `defaultCodec`; with
   * none, the request itself. Inputs with their own content type are decoded
   * by it (a `pd` table gets `str` columns as strings).
   */
  decodeRequest(request: InferenceRequest, defaultCodec?: CodecChoice<RequestCodec>): unknown {
    const contentType = request.parameters?.content_type ?? this.settings.parameters.content_type;
    const codec = (contentType === undefined ? undefined : this.codecs.request(contentType)) ??
      this.#choose(defaultCodec, (c) => this.codecs.request(c));
    return codec === undefined
      ? request
      : codec.decodeRequest(request, (input) => this.#inputCodec(input, undefined)?.decode(input));
  }

  /**
   * Encodes one output: the content type of the model's `outputs` metadata
   * for `name`, else the first codec that can encode `value`, else
   * `defaultCodec`.
   *
   * @throws {CodecError} when no codec fits
   */
  encode(name: string, value: unknown, defaultCodec?: CodecChoice<InputCodec>): ResponseOutput {
    const declared = this.settings.outputs.find((o) => o.name === name)?.parameters?.content_type;
    const codec = (declared === undefined ? undefined : this.codecs.input(declared)) ??
      this.codecs.inputFor(value) ?? this.#choose(defaultCodec, (c) => this.codecs.input(c));
    if (codec === undefined) throw new CodecError(`Codec not found for output '${name}'`);
    return codec.encode(name, value);
  }

  /**
   * Encodes a whole response with the first request codec that can encode
   * `value` (a `Tensor`: np, `string[]`: str, a `Table`: pd), else
   * `defaultCodec`.
   *
   * @throws {CodecError} when no codec fits
   */
  encodeResponse(value: unknown, defaultCodec?: CodecChoice<RequestCodec>): InferenceResponse {
    const codec = this.codecs.requestFor(value) ??
      this.#choose(defaultCodec, (c) => this.codecs.request(c));
    if (codec === undefined) throw new CodecError("Codec not found for the response");
    return codec.encodeResponse(this.name, value, this.version);
  }

  #inputCodec(
    input: TensorLike,
    defaultCodec: CodecChoice<InputCodec> | undefined,
  ): InputCodec | undefined {
    const contentType = input.parameters?.content_type ??
      this.settings.inputs.find((i) => i.name === input.name)?.parameters?.content_type;
    return (contentType === undefined ? undefined : this.codecs.input(contentType)) ??
      this.#choose(defaultCodec, (c) => this.codecs.input(c));
  }

  #choose<C>(
    choice: CodecChoice<C> | undefined,
    byName: (contentType: string) => C | undefined,
  ): C | undefined {
    if (choice === undefined) return undefined;
    if (typeof choice !== "string") return choice;
    const codec = byName(choice);
    if (codec === undefined) throw new CodecError(`Codec not found for content type '${choice}'`);
    return codec;
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

/**
 * The least a test or a script must give to build a model by hand (the rest gets MLServer's defaults).
 *
 * @example Build a model in a test
 * ```ts
 * import { MLModel, type InferenceResponse, type ModelSettingsLike } from "mlserver";
 * class Echo extends MLModel {
 *   predict(): Promise<InferenceResponse> {
 *     return Promise.resolve({ model_name: this.name, outputs: [] });
 *   }
 * }
 * const settings: ModelSettingsLike = { name: "echo", parameters: { uri: "/models/echo" } };
 * const model = new Echo(settings);
 * console.assert(model.settings.max_batch_size === 0 && model.settings.parameters.uri === "/models/echo");
 * ```
 */
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
