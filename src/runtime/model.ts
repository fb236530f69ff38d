/**
 * The model seam. `Model` is what the server holds: the registry, the data
 * plane and every wrapper (concurrency limit, and later batching, workers,
 * metrics) type against it. `MLModel` is the class runtime authors extend:
 * MLServer's `MLModel` with TypeScript types, implementing `Model` and adding
 * the codec helpers.
 *
 * @module
 */

import type { InputCodec, RequestCodec, TensorLike } from "../codecs/codec.ts";
import { type CodecRegistry, defaultCodecs } from "../codecs/registry.ts";
import { CodecError, UnimplementedError } from "../errors.ts";
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
 * What every call into a model carries besides the request.
 *
 * @example Stop early when the caller is gone
 * ```ts
 * import {
 *   type InferenceRequest,
 *   type InferenceResponse,
 *   MLModel,
 *   type PredictContext,
 *   resolveModelSettings,
 * } from "mlserver";
 * class Patient extends MLModel {
 *   async predict(_request: InferenceRequest, context?: PredictContext): Promise<InferenceResponse> {
 *     for (let step = 0; step < 3; step++) {
 *       context?.signal.throwIfAborted(); // the client left or the deadline passed
 *       await new Promise((resolve) => setTimeout(resolve, 1));
 *     }
 *     return { model_name: this.name, outputs: [] };
 *   }
 * }
 * const controller = new AbortController();
 * controller.abort(new Error("client left"));
 * const model = new Patient(resolveModelSettings({ name: "p" }));
 * const failed = await model.predict({ inputs: [] }, { signal: controller.signal }).catch((e) => e);
 * console.assert(failed.message === "client left");
 * ```
 */
export interface PredictContext {
  /**
   * Aborted when the client disconnects, its deadline passes or the
   * server's `inference_timeout` expires; `signal.reason` says which. A
   * model that checks it stops wasted work; one that ignores it still gets
   * its answer discarded.
   */
  readonly signal: AbortSignal;
  /**
   * When the call left the last queue before the runtime (a
   * `performance.now()` time), set by the server's queueing links for its
   * statistics; absent when the call never waited. Runtimes ignore it.
   */
  dequeuedAt?: number;
}

/**
 * The interface the server holds every model by: runtimes, the structural
 * adapter and the wrappers around them all implement it.
 *
 * @example Call any model the way the server does
 * ```ts
 * import { type InferenceResponse, MLModel, type Model, resolveModelSettings } from "mlserver";
 * class Empty extends MLModel {
 *   predict(): Promise<InferenceResponse> {
 *     return Promise.resolve({ model_name: this.name, outputs: [] });
 *   }
 * }
 * const model: Model = new Empty(resolveModelSettings({ name: "empty" }));
 * const signal = new AbortController().signal;
 * const answer = await model.predict({ inputs: [] }, { signal });
 * console.assert(answer.model_name === "empty" && model.ready === false);
 * ```
 */
export interface Model {
  /** The model's resolved settings. */
  readonly settings: ModelSettings;
  /** The model's name. */
  readonly name: string;
  /** The model's version (`parameters.version`), if it has one. */
  readonly version: string | undefined;
  /**
   * Whether the model is loaded and serving. The registry sets it on the
   * outermost model; wrappers pass it down, so the runtime sees it too.
   */
  ready: boolean;
  /** Loads what predict() needs; false (or a rejection) means it cannot serve. */
  load(): Promise<boolean>;
  /** Runs inference on one request. */
  predict(request: InferenceRequest, context: PredictContext): Promise<InferenceResponse>;
  /**
   * Streams responses for a stream of requests.
   *
   * @throws {UnimplementedError} (when iterated) if the model cannot stream
   */
  predictStream(
    requests: AsyncIterable<InferenceRequest>,
    context: PredictContext,
  ): AsyncIterable<InferenceResponse>;
  /** Releases what load() acquired. */
  unload(): Promise<boolean>;
  /** The model's metadata. */
  metadata(): Promise<ModelMetadata>;
}

/**
 * Base class of every model runtime.
 *
 * @example A model that doubles its input
 * ```ts
 * import { MLModel, resolveModelSettings, type InferenceRequest, type InferenceResponse } from "mlserver";
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
 * const model = new Doubler(resolveModelSettings({ name: "doubler" }));
 * await model.load();
 * const out = await model.predict({
 *   inputs: [{ name: "x", datatype: "FP64", shape: [2], data: new Float64Array([1, 2]) }],
 * });
 * console.assert(out.outputs[0]!.data[1] === 4);
 * ```
 */
export abstract class MLModel implements Model {
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
   * @param settings resolved settings: the server passes them; tests and
   * scripts build them with `resolveModelSettings({ name, ... })`
   */
  constructor(settings: ModelSettings) {
    this.settings = settings;
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

  /**
   * Runs inference on one request.
   *
   * @param context the caller's signal (optional to read: see `PredictContext`)
   */
  abstract predict(request: InferenceRequest, context?: PredictContext): Promise<InferenceResponse>;

  /**
   * Streams responses for a stream of requests. Override it to stream:
   * without it the streaming endpoints answer 501.
   */
  // deno-lint-ignore require-yield
  async *predictStream(
    _requests: AsyncIterable<InferenceRequest>,
    _context?: PredictContext,
  ): AsyncIterable<InferenceResponse> {
    throw new UnimplementedError(`Model ${this.name} does not support streaming`);
  }

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
   * import { type InferenceRequest, type InferenceResponse, MLModel, resolveModelSettings } from "mlserver";
   * class Greeter extends MLModel {
   *   predict(request: InferenceRequest): Promise<InferenceResponse> {
   *     const names = this.decode(request.inputs[0]!, "str") as string[];
   *     return Promise.resolve({ model_name: this.name, outputs: [this.encode("greeting", names.map((n) => `hi ${n}`))] });
   *   }
   * }
   * const out = await new Greeter(resolveModelSettings({ name: "g" })).predict({
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
    return Promise.resolve(settingsMetadata(this.settings));
  }
}

/** Metadata as MLServer builds it from a model's settings. */
export function settingsMetadata(settings: ModelSettings): ModelMetadata {
  const { name, versions, platform, inputs, outputs, parameters } = settings;
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
  return metadata;
}

function copyTensor(tensor: MetadataTensor): MetadataTensor {
  return { ...tensor, shape: [...tensor.shape] };
}
