/**
 * Checks what a runtime returned before any transport encodes it: output data
 * becomes the typed array of its declared datatype (or a BYTES list) with
 * exactly as many elements as its shape holds. A runtime that breaks this gets
 * a clear 500 naming the output, rather than a corrupt answer.
 *
 * @module
 */

import { ServerError } from "../errors.ts";
import {
  type BytesElement,
  type Datatype,
  DATATYPE_INFO,
  elementCount,
  isTypedArray,
  type NumericDatatype,
  type TensorData,
  type TypedArray,
} from "./datatypes.ts";
import { decodeJsonTensor } from "./json_tensor.ts";
import type { ResponseOutput } from "./types.ts";

/** An output whose data is the typed array (or BYTES list) of its datatype. */
export interface CheckedOutput extends ResponseOutput {
  data: TensorData;
}

/**
 * Normalises one output returned by a runtime.
 *
 * @throws {ServerError} (500) naming the output when data and shape or
 * datatype disagree
 */
export function checkOutput(output: ResponseOutput): CheckedOutput {
  const what = `Model output '${output.name}'`;
  const { datatype, shape, data } = output;
  const count = elementCount(shape);
  if (isTypedArray(data)) {
    if (datatype === "BYTES") {
      throw new ServerError(`${what}: BYTES data must be a list of strings or byte arrays`);
    }
    if (data.length !== count) {
      throw new ServerError(
        `${what}: data has ${data.length} elements, shape [${shape}] needs ${count}`,
      );
    }
    return { ...output, data: toDatatype(data, datatype) };
  }
  if (!Array.isArray(data)) {
    throw new ServerError(`${what}: data must be a typed array or a list`);
  }
  if (datatype === "BYTES" && data.length === count && data.every(isBytesElement)) {
    return output as CheckedOutput;
  }
  try {
    return { ...output, data: decodeJsonTensor(output, what) };
  } catch (err) {
    throw new ServerError((err as Error).message);
  }
}

function isBytesElement(value: unknown): value is BytesElement {
  return typeof value === "string" || value instanceof Uint8Array;
}

/** Returns `data` as the typed array of `datatype`, converting when needed. */
export function toDatatype(data: TypedArray, datatype: NumericDatatype): TypedArray {
  const info = DATATYPE_INFO[datatype];
  const target = info.create(0).constructor;
  if (data.constructor === target) return data;
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

/** The datatype a plain value suggests, for codecs that infer it. */
export function isNumericDatatype(datatype: Datatype): datatype is NumericDatatype {
  return datatype !== "BYTES";
}
