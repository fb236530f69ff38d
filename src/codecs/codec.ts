/**
 * What a codec is. An input codec turns one tensor into a TypeScript value
 * and back; a request codec turns a whole request (or response) into one
 * value and back. Content types keep MLServer's names on the wire (`np`,
 * `str`, `base64`, `datetime`, `pd`). Both directions exist for both sides,
 * so the same codec serves runtimes (decode inputs, encode outputs) and
 * clients (encode inputs, decode outputs).
 *
 * @module
 */

import type { Datatype, TensorData } from "../protocol/datatypes.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  OutputData,
  Parameters,
  RequestInput,
  ResponseOutput,
} from "../protocol/types.ts";

/** A tensor as the `np` codec gives it: typed data (row-major) and its shape. */
export interface Tensor<D extends TensorData = TensorData> {
  data: D;
  shape: number[];
  /** The V2 datatype (tells BOOL from UINT8, both `Uint8Array`s); inferred when left out. */
  datatype?: Datatype;
}

/** A columnar table as the `pd` codec gives it: one entry per column, `rows` long. */
export interface Table {
  rows: number;
  columns: Record<string, Column>;
}

/** The values of one table column. */
export type Column = TensorData | readonly unknown[];

/** A tensor as any codec reads it: a request input or a response output. */
export interface TensorLike {
  name: string;
  datatype: Datatype;
  shape: number[];
  parameters?: Parameters | undefined;
  data: OutputData;
}

/** Encodes and decodes one tensor. */
export interface InputCodec<T = unknown> {
  /** The content type this codec answers to. */
  readonly contentType: string;
  /** Whether `value` is something this codec encodes (used when no content type says). */
  canEncode(value: unknown): value is T;
  /** The value of a request input (or of a response output). */
  decode(tensor: TensorLike): T;
  /** A response output (or request input) holding `value`. */
  encode(name: string, value: T): ResponseOutput & RequestInput;
}

/**
 * How a request codec reads inputs that have a content type of their own (in
 * their parameters or the model's metadata): the decoded value, or undefined
 * when no input codec applies.
 */
export type InputDecoder = (input: TensorLike) => unknown;

/** Encodes and decodes a whole request or response. */
export interface RequestCodec<T = unknown> {
  /** The content type this codec answers to. */
  readonly contentType: string;
  /** Whether `value` is something this codec encodes. */
  canEncode(value: unknown): value is T;
  /** The value of a request's inputs. */
  decodeRequest(request: InferenceRequest, decodeInput: InputDecoder): T;
  /** The value of a response's outputs. */
  decodeResponse(response: InferenceResponse, decodeInput: InputDecoder): T;
  /** A response holding `value`. */
  encodeResponse(modelName: string, value: T, modelVersion?: string): InferenceResponse;
  /** A request holding `value`. */
  encodeRequest(value: T): InferenceRequest;
}

/** Parameters with a content type (what every codec puts on what it encodes). */
export function contentTypeParameters(contentType: string): Parameters {
  return { content_type: contentType };
}
