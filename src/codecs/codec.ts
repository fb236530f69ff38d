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

/**
 * A tensor as the `np` codec gives it: typed data (row-major) and its shape.
 *
 * @example Rows of a 2-D tensor
 * ```ts
 * import type { Tensor } from "mlserver";
 * const tensor: Tensor<Float32Array> = { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3], datatype: "FP32" };
 * const secondRow = tensor.data.subarray(3, 6);
 * console.assert(secondRow[0] === 4);
 * ```
 */
export interface Tensor<D extends TensorData = TensorData> {
  data: D;
  shape: number[];
  /** The V2 datatype (tells BOOL from UINT8, both `Uint8Array`s); inferred when left out. */
  datatype?: Datatype;
}

/**
 * A columnar table as the `pd` codec gives it: one entry per column, `rows` long.
 *
 * @example A table of two rows
 * ```ts
 * import type { Table } from "mlserver";
 * const table: Table = { rows: 2, columns: { city: ["Oslo", "Lima"], area: new Float64Array([50, 80]) } };
 * console.assert(table.columns.city!.length === table.rows);
 * ```
 */
export interface Table {
  rows: number;
  columns: Record<string, Column>;
}

/**
 * The values of one table column.
 *
 * @example Typed or plain
 * ```ts
 * import type { Column } from "mlserver";
 * const columns: Column[] = [new Int32Array([1, 2]), ["a", "b"], [new Date(0), new Date(1)]];
 * console.assert(columns.every((c) => c.length === 2));
 * ```
 */
export type Column = TensorData | readonly unknown[];

/**
 * A tensor as any codec reads it: a request input or a response output.
 *
 * @example Decode an output with a codec
 * ```ts
 * import { StringCodec, type TensorLike } from "mlserver";
 * const output: TensorLike = { name: "label", datatype: "BYTES", shape: [1], data: ["cat"] };
 * console.assert(StringCodec.decode(output)[0] === "cat");
 * ```
 */
export interface TensorLike {
  name: string;
  datatype: Datatype;
  shape: number[];
  parameters?: Parameters | undefined;
  data: OutputData;
}

/**
 * Encodes and decodes one tensor.
 *
 * @example A codec of your own
 * ```ts
 * import { type InferenceResponse, type InputCodec, MLModel, resolveModelSettings } from "mlserver";
 * const csv: InputCodec<string[][]> = {
 *   contentType: "csv",
 *   canEncode: (v): v is string[][] => Array.isArray(v) && v.every(Array.isArray),
 *   decode: (t) => (t.data as string[]).map((line) => line.split(",")),
 *   encode: (name, rows) => ({ name, datatype: "BYTES", shape: [rows.length], data: rows.map((r) => r.join(",")) }),
 * };
 * class Reader extends MLModel {
 *   predict(): Promise<InferenceResponse> {
 *     return Promise.resolve({ model_name: this.name, outputs: [] });
 *   }
 * }
 * const model = new Reader(resolveModelSettings({ name: "r" }));
 * model.codecs.addInputCodec(csv);
 * const rows = model.decode({ name: "t", datatype: "BYTES", shape: [1], data: ["a,b"], parameters: { content_type: "csv" } });
 * console.assert((rows as string[][])[0]![1] === "b");
 * ```
 */
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
 *
 * @example Give a request codec a decoder
 * ```ts
 * import { type InputDecoder, PandasCodec, StringCodec } from "mlserver";
 * const decode: InputDecoder = (input) => input.parameters?.content_type === "str" ? StringCodec.decode(input) : undefined;
 * const table = PandasCodec.decodeRequest(
 *   { inputs: [{ name: "t", datatype: "BYTES", shape: [1], data: [new TextEncoder().encode("hi")], parameters: { content_type: "str" } }] },
 *   decode,
 * );
 * console.assert(table.columns.t![0] === "hi");
 * ```
 */
export type InputDecoder = (input: TensorLike) => unknown;

/**
 * Encodes and decodes a whole request or response.
 *
 * @example Answer with a request codec
 * ```ts
 * import { type RequestCodec, StringRequestCodec } from "mlserver";
 * const codec: RequestCodec<string[]> = StringRequestCodec;
 * const response = codec.encodeResponse("m", ["ok"]);
 * console.assert(codec.decodeResponse(response, () => undefined)[0] === "ok");
 * ```
 */
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
