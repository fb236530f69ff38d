/**
 * ONNX tensor types and V2 datatypes, both ways. Numeric request data that
 * already has the graph's type is handed to onnxruntime as the same typed
 * array (no copy; views keep their byte offset); other numeric datatypes are
 * converted once to the graph's type, as numpy's `astype` would. BYTES
 * become onnxruntime strings (UTF-8).
 *
 * | ONNX type | V2 datatype | note |
 * |---|---|---|
 * | FLOAT, DOUBLE, FLOAT16 | FP32, FP64, FP16 | FP16 as `Float16Array` |
 * | INT8..INT64, UINT8..UINT64 | INT8..INT64, UINT8..UINT64 | 64-bit as BigInt arrays |
 * | BOOL | BOOL | bytes 0/1 |
 * | STRING | BYTES | UTF-8 |
 * | INT4, UINT4 | INT8, UINT8 | one value per byte on the wire, two per byte in onnxruntime |
 * | BFLOAT16, FLOAT8*, FLOAT4E2M1, COMPLEX64/128 | none | onnxruntime-node cannot carry them: the model is refused at load |
 *
 * @module
 */

import { InferenceError, type RequestInput, type Tensor, type TypedArray } from "mlserver";
import type { Tensor as OrtTensor } from "onnxruntime-node";
import type { OnnxRuntime } from "./ort.ts";

type NumericDatatype = Exclude<RequestInput["datatype"], "BYTES">;

/** onnxruntime-node's type names and the V2 datatype of each. */
export const V2_DATATYPE: Readonly<Record<OrtTensor.Type, RequestInput["datatype"]>> = {
  float32: "FP32",
  float64: "FP64",
  float16: "FP16",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  bool: "BOOL",
  string: "BYTES",
  int4: "INT8",
  uint4: "UINT8",
};

/** The typed array each numeric V2 datatype travels in. */
const ARRAYS: Readonly<Record<NumericDatatype, { new (length: number): TypedArray }>> = {
  FP32: Float32Array,
  FP64: Float64Array,
  FP16: Float16Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  BOOL: Uint8Array,
};

const utf8 = new TextDecoder();

/**
 * A request input as an onnxruntime tensor of type `type`.
 *
 * @throws {InferenceError} when BYTES meet a numeric input or the reverse
 */
export function toOrtTensor(
  ort: OnnxRuntime,
  input: RequestInput,
  type: OrtTensor.Type,
): OrtTensor {
  const dims = input.shape;
  const { data } = input;
  if (type === "string") {
    if (!Array.isArray(data)) {
      throw new InferenceError(`Input '${input.name}' must be BYTES (the model takes strings)`);
    }
    return new ort.Tensor(
      "string",
      data.map((v) => typeof v === "string" ? v : utf8.decode(v)),
      dims,
    );
  }
  if (Array.isArray(data)) {
    throw new InferenceError(
      `Input '${input.name}' is BYTES, the model takes ${V2_DATATYPE[type]} (${type})`,
    );
  }
  const target = V2_DATATYPE[type] as NumericDatatype;
  if (type === "int4" || type === "uint4") {
    return new ort.Tensor(type, pack4(convert(data, target, input.datatype)), dims);
  }
  const values = input.datatype === target ? data : convert(data, target, input.datatype);
  const tensor = new ort.Tensor(type, values as OrtTensor.DataTypeMap[typeof type], dims);
  if (values instanceof Float16Array) {
    // Deno 2.9's Node-API panics reading a Float16Array (no such napi typed
    // array type), and onnxruntime-common stores float16 data as one: hand
    // the binding the same bytes as a Uint16Array view.
    (tensor as unknown as { cpuData: Uint16Array }).cpuData = new Uint16Array(
      values.buffer,
      values.byteOffset,
      values.length,
    );
  }
  return tensor;
}

/**
 * An onnxruntime tensor as `np` data: MLServer's NumpyCodec shape rule (a
 * 1-D result is [N, 1], a scalar [1]), as the fork's `encode` applies it.
 */
export function fromOrtTensor(tensor: OrtTensor): Tensor {
  const dims = [...tensor.dims];
  const shape = dims.length === 0 ? [1] : dims.length === 1 ? [dims[0]!, 1] : dims;
  const datatype = V2_DATATYPE[tensor.type];
  if (datatype === undefined) {
    throw new InferenceError(`ONNX output of type ${tensor.type} has no V2 datatype`);
  }
  let data = tensor.data as Tensor["data"];
  if (tensor.type === "float16" && data instanceof Uint16Array) {
    data = new Float16Array(data.buffer, data.byteOffset, data.length);
  } else if (tensor.type === "int4" || tensor.type === "uint4") {
    data = unpack4(data as Uint8Array, tensor.size, tensor.type === "int4");
  }
  return { data, shape, datatype };
}

/** `data` (of `from`) as the typed array of `to`; 64-bit integers go through BigInt. */
function convert(data: TypedArray, to: NumericDatatype, from: string): TypedArray {
  const out = new ARRAYS[to](data.length);
  const toBig = out instanceof BigInt64Array || out instanceof BigUint64Array;
  const fromBig = data instanceof BigInt64Array || data instanceof BigUint64Array;
  if (toBig === fromBig) {
    (out as Float64Array).set(data as Float64Array);
  } else if (toBig) {
    const big = out as BigInt64Array;
    for (let i = 0; i < data.length; i++) {
      const v = (data as Float64Array)[i]!;
      if (!Number.isFinite(v)) throw new InferenceError(`Cannot convert ${from} ${v} to ${to}`);
      big[i] = BigInt(Math.trunc(v));
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      (out as Float64Array)[i] = Number((data as BigInt64Array)[i]);
    }
  }
  if (to === "BOOL" && from !== "BOOL" && from !== "UINT8") {
    // numpy's astype(bool): any non-zero is true.
    for (let i = 0; i < data.length; i++) (out as Uint8Array)[i] = Number(data[i]) !== 0 ? 1 : 0;
  }
  return out;
}

/** Two 4-bit values per byte, low nibble first (ONNX's INT4/UINT4 layout). */
export function pack4(values: TypedArray): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const nibble = Number(values[i]) & 0x0f;
    out[i >> 1]! |= i % 2 === 0 ? nibble : nibble << 4;
  }
  return out;
}

/** `count` 4-bit values, sign-extended when `signed`. */
export function unpack4(
  packed: Uint8Array,
  count: number,
  signed: boolean,
): Int8Array | Uint8Array {
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (packed[i >> 1]! >> (i % 2 === 0 ? 0 : 4)) & 0x0f;
    out[i] = signed && nibble > 7 ? nibble - 16 : nibble;
  }
  return out;
}
