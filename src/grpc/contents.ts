/**
 * `InferTensorContents` <-> tensor data. Packed FP32, FP64 and BOOL contents
 * become views into the message (copied only when misaligned); integer
 * varints are decoded straight into the datatype's typed array with range
 * checks; 64-bit integers go through 32-bit halves, never through BigInt.
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";
import {
  type BytesElement,
  type Datatype,
  DATATYPE_INFO,
  type TensorData,
  type TypedArray,
} from "../protocol/datatypes.ts";
import { countVarints, type ProtoEncoder, ProtoReader, WIRE } from "./wire.ts";

/** Contents field number per datatype (FP16 has none: it travels raw). */
export const CONTENTS_FIELD: Readonly<Record<Datatype, number | undefined>> = {
  BOOL: 1,
  INT8: 2,
  INT16: 2,
  INT32: 2,
  INT64: 3,
  UINT8: 4,
  UINT16: 4,
  UINT32: 4,
  UINT64: 5,
  FP32: 6,
  FP64: 7,
  BYTES: 8,
  FP16: undefined,
};

const FIELD_NAMES = [
  "",
  "bool_contents",
  "int_contents",
  "int64_contents",
  "uint_contents",
  "uint64_contents",
  "fp32_contents",
  "fp64_contents",
  "bytes_contents",
];

/** One occurrence of a contents field in the message. */
export interface ContentsSpan {
  field: number;
  wireType: number;
  start: number;
  end: number;
}

/**
 * Finds the contents fields of an `InferTensorContents` message.
 *
 * @returns the spans, in wire order (empty when the tensor has no typed data)
 */
export function scanContents(buf: Uint8Array, start: number, end: number): ContentsSpan[] {
  const reader = new ProtoReader(buf, start, end);
  const spans: ContentsSpan[] = [];
  while (!reader.done) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    const at = reader.pos;
    if (wireType === WIRE.LEN) {
      const [s, e] = reader.span();
      if (field >= 1 && field <= 8) spans.push({ field, wireType, start: s, end: e });
    } else {
      reader.skip(wireType);
      if (field >= 1 && field <= 8) spans.push({ field, wireType, start: at, end: reader.pos });
    }
  }
  return spans;
}

/**
 * Decodes typed contents for a tensor.
 *
 * @param label names the tensor in errors (`Input 'x'`)
 * @throws {InvalidRequestError} for the wrong contents field, a count that
 * does not match the shape, or values out of range
 */
export function decodeContents(
  buf: Uint8Array,
  spans: readonly ContentsSpan[],
  datatype: Datatype,
  count: number,
  label: string,
): TensorData {
  const field = CONTENTS_FIELD[datatype];
  const fail = (message: string): never => {
    throw new InvalidRequestError(`${label}: ${message}`);
  };
  if (field === undefined) {
    fail(`${datatype} has no typed contents field; send it in raw_input_contents`);
  }
  for (const span of spans) {
    if (span.field !== field) {
      fail(`${datatype} data belongs in ${FIELD_NAMES[field!]}, got ${FIELD_NAMES[span.field]}`);
    }
  }
  if (datatype === "BYTES") {
    const out: BytesElement[] = spans.map((s) => buf.subarray(s.start, s.end));
    if (out.length !== count) fail(`contents have ${out.length} elements, shape needs ${count}`);
    return out;
  }
  const info = DATATYPE_INFO[datatype];
  // Fixed-size packed contents in one chunk: a view, no copy.
  if (spans.length === 1 && spans[0]!.wireType === WIRE.LEN && info.kind === "float") {
    const { start, end } = spans[0]!;
    const size = datatype === "FP32" ? 4 : 8;
    if ((end - start) % size !== 0) {
      fail(`packed ${FIELD_NAMES[field!]} is not a whole number of elements`);
    }
    const found = (end - start) / size;
    if (found !== count) fail(`contents have ${found} elements, shape needs ${count}`);
    return info.view(buf.buffer, buf.byteOffset + start, count);
  }
  const out = info.create(count);
  let index = 0;
  const store = storeFor(datatype, out, fail);
  for (const span of spans) {
    const reader = new ProtoReader(buf, span.start, span.end);
    if (span.wireType === WIRE.LEN) {
      const n = info.kind === "float"
        ? (span.end - span.start) / (datatype === "FP32" ? 4 : 8)
        : countVarints(buf, span.start, span.end);
      if (index + n > count) fail(`contents have more than the ${count} elements the shape holds`);
      for (let i = 0; i < n; i++) store(reader, index++);
      if (!reader.done) fail(`packed ${FIELD_NAMES[field!]} is not a whole number of elements`);
    } else {
      if (index + 1 > count) fail(`contents have more than the ${count} elements the shape holds`);
      store(reader, index++);
    }
  }
  if (index !== count) fail(`contents have ${index} elements, shape needs ${count}`);
  return out;
}

type Store = (reader: ProtoReader, index: number) => void;

function storeFor(datatype: Datatype, out: TypedArray, fail: (message: string) => never): Store {
  switch (datatype) {
    case "FP32":
      return (r, i) => (out as Float32Array)[i] = r.float();
    case "FP64":
      return (r, i) => (out as Float64Array)[i] = r.double();
    case "BOOL":
      return (r, i) => {
        const value = r.uint32();
        if (value > 1) fail(`BOOL element ${i} is ${value}, expected 0 or 1`);
        (out as Uint8Array)[i] = value;
      };
    case "INT64":
    case "UINT64": {
      // Little-endian halves of each 64-bit element.
      const halves = new Uint32Array(out.buffer, out.byteOffset, out.length * 2);
      return (r, i) => {
        halves[2 * i] = r.varint64();
        halves[2 * i + 1] = r.hi;
      };
    }
    default: {
      const info = DATATYPE_INFO[datatype as Exclude<Datatype, "BYTES">];
      const { min, max } = info as { min: number; max: number };
      const signed = min < 0;
      const ints = out as Int32Array;
      return (r, i) => {
        const raw = r.uint32();
        const value = signed ? raw | 0 : raw;
        if (value < min || value > max) {
          fail(`element ${i} is ${value}, out of range for ${datatype}`);
        }
        ints[i] = value;
      };
    }
  }
}

/** Writes tensor data as typed contents (field `contents` of an output tensor). */
export function encodeContents(encoder: ProtoEncoder, datatype: Datatype, data: TensorData): void {
  const field = CONTENTS_FIELD[datatype]!;
  if (datatype === "BYTES") {
    const utf8 = new TextEncoder();
    for (const item of data as BytesElement[]) {
      encoder.bytes(field, typeof item === "string" ? utf8.encode(item) : item);
    }
    return;
  }
  const typed = data as TypedArray;
  if (typed.length === 0) return;
  if (datatype === "FP32" || datatype === "FP64" || datatype === "BOOL") {
    // Packed fixed-size values (and 0/1 bools as one-byte varints) are the
    // array's own little-endian bytes.
    encoder.bytes(field, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
    return;
  }
  const packed = new (encoder.constructor as new () => ProtoEncoder)();
  if (datatype === "INT64" || datatype === "UINT64") {
    const halves = new Uint32Array(typed.buffer, typed.byteOffset, typed.length * 2);
    for (let i = 0; i < typed.length; i++) packed.varint64(halves[2 * i]!, halves[2 * i + 1]!);
  } else {
    const ints = typed as Int32Array;
    for (let i = 0; i < ints.length; i++) packed.int(ints[i]!);
  }
  encoder.message(field, packed);
}
