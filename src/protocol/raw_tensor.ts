/**
 * The raw tensor layout shared by gRPC `raw_input_contents` /
 * `raw_output_contents` and REST's binary tensor extension: little-endian,
 * row-major, no padding; BOOL one byte per element; each BYTES element a
 * 4-byte little-endian length followed by its bytes. Numeric tensors are
 * decoded as views into the received bytes (copied only when misaligned).
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";
import { DecodeBudget } from "./budget.ts";
import {
  type BytesElement,
  type Datatype,
  DATATYPE_INFO,
  elementCount,
  type TensorData,
  type TypedArray,
} from "./datatypes.ts";

/** What raw decoding needs to know about a tensor. */
export interface RawTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

/**
 * Decodes raw bytes into tensor data.
 *
 * @param options.label how errors name the tensor; default `Input '<name>'`
 * @param options.budget counts the BYTES elements against the whole
 * message's size; by default against these bytes alone
 * @throws {InvalidRequestError} when the byte count does not match the shape,
 * a BYTES length runs past the end, or a BOOL byte is not 0 or 1
 * @throws {RequestTooLargeError} for more BYTES elements than `budget` allows
 */
export function decodeRawTensor(
  bytes: Uint8Array,
  tensor: RawTensor,
  options: { label?: string; budget?: DecodeBudget } = {},
): TensorData {
  const label = options.label ?? `Input '${tensor.name}'`;
  const budget = options.budget ?? new DecodeBudget(bytes.byteLength);
  const count = elementCount(tensor.shape);
  if (count < 0) {
    throw new InvalidRequestError(`${label}: shape [${tensor.shape}] holds too many elements`);
  }
  if (tensor.datatype === "BYTES") {
    return decodeRawBytes(bytes, { count, shape: tensor.shape, label, budget });
  }
  const info = DATATYPE_INFO[tensor.datatype];
  const expected = count * info.size;
  if (bytes.byteLength !== expected) {
    throw new InvalidRequestError(
      `${label}: raw data has ${bytes.byteLength} bytes, shape [${tensor.shape}] of ` +
        `${tensor.datatype} needs ${expected}`,
    );
  }
  if (tensor.datatype === "BOOL") {
    for (let i = 0; i < bytes.byteLength; i++) {
      if ((bytes[i] as number) > 1) {
        throw new InvalidRequestError(
          `${label}: BOOL element ${i} is ${bytes[i]}, expected 0 or 1`,
        );
      }
    }
  }
  return info.view(bytes.buffer, bytes.byteOffset, count);
}

/**
 * BYTES elements in two passes: the length prefixes are checked and counted
 * first, so nothing is allocated for data the shape or the budget refuses.
 */
function decodeRawBytes(
  bytes: Uint8Array,
  tensor: { count: number; shape: readonly number[]; label: string; budget: DecodeBudget },
): BytesElement[] {
  const { count, shape, label } = tensor;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let found = 0;
  while (offset < bytes.byteLength) {
    if (found === count) {
      throw new InvalidRequestError(
        `${label}: raw BYTES data has more than the ${count} elements shape [${shape}] holds`,
      );
    }
    if (offset + 4 > bytes.byteLength) {
      throw new InvalidRequestError(
        `${label}: raw BYTES element ${found} has a truncated length prefix`,
      );
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.byteLength) {
      throw new InvalidRequestError(
        `${label}: raw BYTES element ${found} claims ${length} bytes, ` +
          `only ${bytes.byteLength - offset} remain`,
      );
    }
    offset += length;
    found++;
  }
  if (found !== count) {
    throw new InvalidRequestError(
      `${label}: raw BYTES data has ${found} elements, shape [${shape}] needs ${count}`,
    );
  }
  tensor.budget.take(count, () => `${label}: ${count} BYTES elements`);
  const out = new Array<BytesElement>(count);
  offset = 0;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(offset, true);
    out[i] = bytes.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
  }
  return out;
}

const utf8 = new TextEncoder();

/**
 * The raw bytes of tensor data: a view of a typed array's own bytes (no
 * copy), or the length-prefixed layout for BYTES.
 */
export function encodeRawTensor(data: TensorData): Uint8Array {
  if (!Array.isArray(data)) {
    const typed = data as TypedArray;
    return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  const elements = data.map((item) => typeof item === "string" ? utf8.encode(item) : item);
  let size = 0;
  for (const element of elements) size += 4 + element.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const element of elements) {
    view.setUint32(offset, element.byteLength, true);
    out.set(element, offset + 4);
    offset += 4 + element.byteLength;
  }
  return out;
}
