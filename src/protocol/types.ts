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

/** Free-form parameters with the two keys the server itself uses. */
export interface Parameters {
  /** Content type that tells codecs how to read the tensor or request. */
  content_type?: string | undefined;
  /** Transport headers: request headers in, response headers out. */
  headers?: Record<string, string> | undefined;
  /** Any other parameter, passed through. */
  [key: string]: unknown;
}

/** One input tensor of an inference request. */
export interface RequestInput {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Parameters | undefined;
  data: TensorData;
}

/** An output the client asks for. */
export interface RequestOutput {
  name: string;
  parameters?: Parameters | undefined;
}

/** An inference request. */
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
 */
export type OutputData = TensorData | readonly unknown[];

/** One output tensor of an inference response. */
export interface ResponseOutput {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Parameters | undefined;
  data: OutputData;
}

/** An inference response. */
export interface InferenceResponse {
  model_name: string;
  model_version?: string | undefined;
  id?: string | undefined;
  parameters?: Parameters | undefined;
  outputs: ResponseOutput[];
}

/** Name, datatype and shape of a tensor a model takes or returns. */
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

/** Answer of the model metadata endpoint. */
export interface ModelMetadata {
  name: string;
  versions?: string[] | undefined;
  platform: string;
  inputs?: MetadataTensor[] | undefined;
  outputs?: MetadataTensor[] | undefined;
  parameters?: Parameters | undefined;
}

/** States a model can be in, as the repository index reports them. */
export type ModelState = "UNKNOWN" | "READY" | "UNAVAILABLE" | "LOADING" | "UNLOADING";

/** One entry of the repository index. */
export interface RepositoryIndexItem {
  name: string;
  version?: string | undefined;
  state: ModelState;
  reason: string;
}
