/**
 * `InferTensorContents` <-> tensor data. Packed FP32 and FP64 contents
 * become views into the message (copied only when misaligned); varints
 * (integers and BOOL) are decoded straight into the datatype's typed array
 * with range checks; 64-bit integers go through 32-bit halves, never through
 * BigInt.
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
import { ProtoEncoder, ProtoReader, WIRE } from "./wire.ts";

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
 * Finds the contents fields of an `InferTensorContents` message and appends
 * them to `spans`, in wire order (a BYTES tensor has one per element, so
 * they are appended one by one, never spread as arguments).
 */
export function scanContents(
  buf: Uint8Array,
  start: number,
  end: number,
  spans: ContentsSpan[],
): void {
  const reader = new ProtoReader(buf, start, end);
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
    if ((end - start) % info.size !== 0) {
      fail(`packed ${FIELD_NAMES[field!]} is not a whole number of elements`);
    }
    const found = (end - start) / info.size;
    if (found !== count) fail(`contents have ${found} elements, shape needs ${count}`);
    return info.view(buf.buffer, buf.byteOffset + start, count);
  }
  // Every element takes at least a byte on the wire: a shape the contents
  // cannot fill is refused before anything is allocated for it.
  let wireBytes = 0;
  for (const span of spans) wireBytes += span.end - span.start;
  if (count > wireBytes) {
    const found = elementsOnWire(buf, spans, info.kind === "float" ? info.size : 0);
    fail(`contents have ${found} elements, shape needs ${count}`);
  }
  const out = info.create(count);
  let index = 0;
  const store = storeFor(datatype, out, fail);
  for (const span of spans) {
    const reader = new ProtoReader(buf, span.start, span.end);
    if (span.wireType === WIRE.LEN) {
      if (info.kind === "float" && (span.end - span.start) % info.size !== 0) {
        fail(`packed ${FIELD_NAMES[field!]} is not a whole number of elements`);
      }
      while (!reader.done) {
        if (index >= count) fail(`contents have more than the ${count} elements the shape holds`);
        store(reader, index++);
      }
    } else {
      if (index + 1 > count) fail(`contents have more than the ${count} elements the shape holds`);
      store(reader, index++);
    }
  }
  if (index !== count) fail(`contents have ${index} elements, shape needs ${count}`);
  return out;
}

/**
 * How many elements the spans hold, for the error message only: packed
 * fixed-size values by length (`fixedSize` bytes each), packed varints by
 * their last bytes (below 0x80), unpacked fields one each.
 */
function elementsOnWire(
  buf: Uint8Array,
  spans: readonly ContentsSpan[],
  fixedSize: number,
): number {
  let found = 0;
  for (const { wireType, start, end } of spans) {
    if (wireType !== WIRE.LEN) found++;
    else if (fixedSize > 0) found += Math.floor((end - start) / fixedSize);
    else for (let i = start; i < end; i++) if (buf[i]! < 0x80) found++;
  }
  return found;
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
    for (const item of data as BytesElement[]) {
      if (typeof item === "string") encoder.repeatedString(field, item);
      else encoder.bytes(field, item);
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
  const packed = new ProtoEncoder();
  if (datatype === "INT64" || datatype === "UINT64") {
    const halves = new Uint32Array(typed.buffer, typed.byteOffset, typed.length * 2);
    for (let i = 0; i < typed.length; i++) packed.varint64(halves[2 * i]!, halves[2 * i + 1]!);
  } else {
    const ints = typed as Int32Array;
    for (let i = 0; i < ints.length; i++) packed.int(ints[i]!);
  }
  encoder.message(field, packed);
}
