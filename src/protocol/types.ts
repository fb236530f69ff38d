/**
 * The Open Inference Protocol messages as the server holds them in memory,
 * whichever transport they came from. Field names keep the protocol's
 * snake_case spelling. Tensor `data` is already decoded: a typed array for
 * numeric datatypes, a list of strings or byte arrays for BYTES.
 *
 * These are written by hand rather than inferred from the JSON schemas
 * because the JSON form (`data` as nested JSON arrays) and this decoded form
 * differ on purpose: runtimes get the same typed arrays from REST JSON, REST
 * binary, gRPC typed contents and gRPC raw contents.
 *
 * @module
 */

import type { Datatype, TensorData } from "./datatypes.ts";

/**
 * Free-form parameters with the two keys the server itself uses.
 *
 * @example Read a request's parameters
 * ```ts
 * import type { Parameters } from "mlserver";
 * const parameters: Parameters = { content_type: "np", headers: { "x-tenant": "a" }, temperature: 0.2 };
 * console.assert(parameters.headers?.["x-tenant"] === "a");
 * ```
 */
export interface Parameters {
  /** Content type that tells codecs how to read the tensor or request. */
  content_type?: string | undefined;
  /**
   * Transport headers: request headers in, response headers out. On a
   * request they are built when first read (most runtimes never look), so a
   * copy made before reading them (`{ ...parameters }`, `JSON.stringify`,
   * `structuredClone`) leaves them out: read `request.parameters.headers`.
   */
  headers?: Record<string, string> | undefined;
  /** Any other parameter, passed through. */
  [key: string]: unknown;
}

/**
 * One input tensor of an inference request.
 *
 * @example An FP32 input of two rows
 * ```ts
 * import type { RequestInput } from "mlserver";
 * const input: RequestInput = { name: "x", datatype: "FP32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
 * console.assert(input.data.length === 4);
 * ```
 */
export interface RequestInput {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Parameters | undefined;
  data: TensorData;
}

/**
 * An output the client asks for.
 *
 * @example Ask for an output in binary
 * ```ts
 * import type { RequestOutput } from "mlserver";
 * const output: RequestOutput = { name: "scores", parameters: { binary_data: true } };
 * console.assert(output.parameters?.binary_data === true);
 * ```
 */
export interface RequestOutput {
  name: string;
  parameters?: Parameters | undefined;
}

/**
 * An inference request.
 *
 * @example A request with one input
 * ```ts
 * import type { InferenceRequest } from "mlserver";
 * const request: InferenceRequest = {
 *   id: "req-1",
 *   inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["hello"] }],
 * };
 * console.assert(request.inputs.length === 1);
 * ```
 */
export interface InferenceRequest {
  id?: string | undefined;
  parameters?: Parameters | undefined;
  inputs: RequestInput[];
  outputs?: RequestOutput[] | undefined;
}

/**
 * Contents of an output tensor as a runtime may return them: decoded tensor
 * data, or a plain (flat or nested, row-major) array of numbers, booleans,
 * bigints or strings.
 *
 * @example Typed or plain
 * ```ts
 * import type { OutputData } from "mlserver";
 * const typed: OutputData = new Int32Array([1, 2]);
 * const nested: OutputData = [[1, 2], [3, 4]];
 * console.assert(typed.length === 2 && nested.length === 2);
 * ```
 */
export type OutputData = TensorData | readonly unknown[];

/**
 * One output tensor of an inference response.
 *
 * @example A column of labels
 * ```ts
 * import type { ResponseOutput } from "mlserver";
 * const output: ResponseOutput = { name: "label", datatype: "INT64", shape: [2, 1], data: new BigInt64Array([0n, 2n]) };
 * console.assert(output.shape[0] === 2);
 * ```
 */
export interface ResponseOutput {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Parameters | undefined;
  data: OutputData;
}

/**
 * An inference response. The server fills in the request's `id` and the
 * model name the client used.
 *
 * @example What predict() returns
 * ```ts
 * import type { InferenceResponse } from "mlserver";
 * const response: InferenceResponse = {
 *   model_name: "iris",
 *   outputs: [{ name: "predict", datatype: "INT64", shape: [1, 1], data: new BigInt64Array([0n]) }],
 * };
 * console.assert(response.outputs[0]!.name === "predict");
 * ```
 */
export interface InferenceResponse {
  model_name: string;
  model_version?: string | undefined;
  id?: string | undefined;
  parameters?: Parameters | undefined;
  outputs: ResponseOutput[];
}

/**
 * Name, datatype and shape of a tensor a model takes or returns (-1 marks a
 * variable dimension).
 *
 * @example An input of N rows of 4 features
 * ```ts
 * import type { MetadataTensor } from "mlserver";
 * const tensor: MetadataTensor = { name: "input-0", datatype: "FP32", shape: [-1, 4] };
 * console.assert(tensor.shape[0] === -1);
 * ```
 */
export interface MetadataTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  parameters?: Parameters | undefined;
}

/** Answer of the server metadata endpoint. */
export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

/**
 * Answer of the model metadata endpoint.
 *
 * @example Override metadata() in a runtime
 * ```ts
 * import { MLModel, type InferenceResponse, type ModelMetadata, resolveModelSettings } from "mlserver";
 * class Described extends MLModel {
 *   predict(): Promise<InferenceResponse> {
 *     return Promise.resolve({ model_name: this.name, outputs: [] });
 *   }
 *   override metadata(): Promise<ModelMetadata> {
 *     return Promise.resolve({ name: this.name, platform: "custom", inputs: [{ name: "x", datatype: "FP32", shape: [-1] }] });
 *   }
 * }
 * console.assert((await new Described(resolveModelSettings({ name: "d" })).metadata()).platform === "custom");
 * ```
 */
export interface ModelMetadata {
  name: string;
  versions?: string[] | undefined;
  platform: string;
  inputs?: MetadataTensor[] | undefined;
  outputs?: MetadataTensor[] | undefined;
  parameters?: Parameters | undefined;
}

/** States a model can be in, as the repository index reports them (the API docs list these). */
export const MODEL_STATES = ["UNKNOWN", "READY", "UNAVAILABLE", "LOADING", "UNLOADING"] as const;

/** One of {@link MODEL_STATES}. */
export type ModelState = typeof MODEL_STATES[number];

/** One entry of the repository index. */
export interface RepositoryIndexItem {
  name: string;
  version?: string | undefined;
  state: ModelState;
  reason: string;
}
