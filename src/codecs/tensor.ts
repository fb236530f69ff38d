/**
 * `np`: a tensor as typed data plus shape (MLServer's NumpyCodec). Decoding
 * is free: the server already holds tensors as typed arrays.
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import { datatypeOfArray, isTypedArray, type TensorData } from "../protocol/datatypes.ts";
import { checkedData } from "../protocol/outputs.ts";
import { type InputCodec, type Tensor, type TensorLike } from "./codec.ts";

/** Whether `value` has a tensor's `data` and `shape`. */
export function isTensor(value: unknown): value is Tensor {
  if (typeof value !== "object" || value === null) return false;
  const { data, shape } = value as Partial<Tensor>;
  return Array.isArray(shape) && (isTypedArray(data) || Array.isArray(data));
}

/** The `np` codec's type: it encodes tensors or typed arrays and decodes to `Tensor`. */
export interface NumpyInputCodec extends InputCodec<Tensor | TensorData> {
  decode(tensor: TensorLike): Tensor;
}

/**
 * The `np` codec: `{ data, shape, datatype }`. Encodes a `Tensor` with its
 * own shape, or a bare typed array as `[N, 1]` (MLServer's convention: a 1-D
 * array is N rows of one feature).
 *
 * @example Decode an input and encode an output
 * ```ts
 * import { NumpyCodec } from "mlserver";
 * const tensor = NumpyCodec.decode({ name: "x", datatype: "FP32", shape: [2], data: new Float32Array([1, 2]) });
 * console.assert(tensor.shape[0] === 2 && tensor.data[1] === 2);
 * const output = NumpyCodec.encode("y", new Float64Array([0.5]));
 * console.assert(output.datatype === "FP64" && output.shape.join() === "1,1");
 * ```
 */
export const NumpyCodec: NumpyInputCodec = {
  contentType: "np",
  canEncode(value: unknown): value is Tensor | TensorData {
    return isTypedArray(value) || isTensor(value);
  },
  decode(tensor: TensorLike): Tensor {
    const data = checkedData(tensor, `Cannot decode '${tensor.name}' as np`);
    return { data, shape: [...tensor.shape], datatype: tensor.datatype };
  },
  encode(name, value) {
    if (isTypedArray(value)) {
      return {
        name,
        datatype: datatypeOfArray(value),
        shape: [value.length, 1],
        data: value,
        parameters: { content_type: "np" },
      };
    }
    if (!isTensor(value)) {
      throw new CodecError(
        `Cannot encode '${name}' as np: expected a typed array or { data, shape }`,
      );
    }
    const datatype = value.datatype ??
      (isTypedArray(value.data) ? datatypeOfArray(value.data) : "BYTES");
    return {
      name,
      datatype,
      shape: [...value.shape],
      data: value.data,
      parameters: { content_type: "np" },
    };
  },
};
