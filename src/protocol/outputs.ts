/**
 * Checks what a runtime returned before any transport encodes it: output data
 * becomes the typed array of its declared datatype (or a BYTES list) with
 * exactly as many elements as its shape holds. A runtime that breaks this gets
 * a clear 500 naming the output, rather than a corrupt answer.
 *
 * @module
 */

import { CodecError, ServerError } from "../errors.ts";
import {
  type BytesElement,
  DATATYPE_INFO,
  elementCount,
  isDatatype,
  isTypedArray,
  type NumericDatatype,
  type TensorData,
  type TypedArray,
} from "./datatypes.ts";
import { decodeJsonTensor } from "./json_tensor.ts";
import type { ResponseOutput } from "./types.ts";

/**
 * The data of one output as the typed array of its datatype (or a BYTES
 * list), without copying the output. Codecs decoding a tensor pass
 * `decoding` (such as "Cannot decode 'x' as np"): their problems are the
 * caller's, a 400 `CodecError`, not a runtime's 500.
 *
 * @throws {ServerError} (500) naming the output when data and shape or
 * datatype disagree, or `CodecError` (400) when `decoding` is given
 */
export function checkedData(output: ResponseOutput, decoding?: string): TensorData {
  const { datatype, shape, data } = output;
  if (typeof datatype !== "string" || !isDatatype(datatype)) {
    throw failure(output, decoding, `unknown datatype ${JSON.stringify(datatype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw failure(
      output,
      decoding,
      `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  const count = elementCount(shape);
  if (isTypedArray(data)) {
    if (datatype === "BYTES") {
      throw failure(output, decoding, "BYTES data must be a list of strings or byte arrays");
    }
    if (data.length !== count) {
      throw failure(
        output,
        decoding,
        `data has ${data.length} elements, shape [${shape}] needs ${count}`,
      );
    }
    return toDatatype(data, datatype);
  }
  if (!Array.isArray(data)) {
    throw failure(output, decoding, "data must be a typed array or a list");
  }
  if (datatype === "BYTES" && data.length === count && data.every(isBytesElement)) {
    return data as BytesElement[];
  }
  try {
    return decodeJsonTensor(output, decoding ?? `Model output '${output.name}'`);
  } catch (err) {
    const message = (err as Error).message;
    throw decoding === undefined ? new ServerError(message) : new CodecError(message);
  }
}

function failure(output: ResponseOutput, decoding: string | undefined, problem: string): Error {
  return decoding === undefined
    ? new ServerError(`Model output '${output.name}': ${problem}`)
    : new CodecError(`${decoding}: ${problem}`);
}

function isBytesElement(value: unknown): value is BytesElement {
  return typeof value === "string" || value instanceof Uint8Array;
}

/** Returns `data` as the typed array of `datatype`, converting when needed. */
export function toDatatype(data: TypedArray, datatype: NumericDatatype): TypedArray {
  const info = DATATYPE_INFO[datatype];
  if (data.constructor === info.array) return data;
  const out = info.create(data.length);
  const toBig = info.kind === "bigint";
  const fromBig = data instanceof BigInt64Array || data instanceof BigUint64Array;
  if (toBig === fromBig) {
    (out as Float64Array).set(data as Float64Array);
  } else if (toBig) {
    for (let i = 0; i < data.length; i++) {
      (out as BigInt64Array)[i] = BigInt(Math.trunc((data as Float64Array)[i] as number));
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      (out as Float64Array)[i] = Number((data as BigInt64Array)[i]);
    }
  }
  return out;
}
