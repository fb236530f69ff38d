/**
 * `InferTensorContents` <-> tensor data. Packed FP32 and FP64 contents
 * become views into the message (copied only when misaligned); varints
 * (integers and BOOL) are decoded straight into the datatype's typed array
 * with range checks; 64-bit integers go through 32-bit halves, never through
 * BigInt. Decoding takes two passes over the contents: the first counts
 * elements and allocates nothing, so what the shape or the message size
 * cannot justify is refused before memory is reserved for it.
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";
import type { DecodeBudget } from "../protocol/budget.ts";
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

/** The bounds of one `InferTensorContents` message (a tensor's `contents` field). */
export type ContentsRange = readonly [start: number, end: number];

/** What a first pass over the contents found, before anything is allocated. */
interface Survey {
  /** Elements of the datatype's field, counted from lengths and varint ends. */
  elements: number;
  /** Occurrences of the datatype's field. */
  occurrences: number;
  /** Where the first occurrence's packed data starts, -1 when it is not packed (for the zero-copy view). */
  packedStart: number;
}

/**
 * Decodes typed contents for a tensor. A first pass counts the elements
 * without allocating anything, so a shape the contents do not fill, or
 * contents that would create more objects than the message justifies (a
 * view per BYTES element), is refused before any memory is reserved.
 *
 * @param ranges the tensor's `contents` messages, in wire order
 * @param label names the tensor in errors (`Input 'x'`)
 * @throws {InvalidRequestError} for the wrong contents field, a count that
 * does not match the shape, or values out of range
 * @throws {RequestTooLargeError} for more BYTES elements than `budget` allows
 */
export function decodeContents(
  buf: Uint8Array,
  ranges: readonly ContentsRange[],
  tensor: { datatype: Datatype; count: number; label: string; budget: DecodeBudget },
): TensorData {
  const { datatype, count, label } = tensor;
  const field = CONTENTS_FIELD[datatype];
  const fail = (message: string): never => {
    throw new InvalidRequestError(`${label}: ${message}`);
  };
  if (field === undefined) {
    return fail(`${datatype} has no typed contents field; send it in raw_input_contents`);
  }
  const survey = surveyContents(buf, ranges, datatype, field, fail);
  if (survey.elements !== count) {
    fail(`contents have ${survey.elements} elements, shape needs ${count}`);
  }
  if (datatype === "BYTES") {
    tensor.budget.take(count, () => `${label}: ${count} BYTES elements`);
    return bytesElements(buf, ranges, count);
  }
  const info = DATATYPE_INFO[datatype];
  // Fixed-size packed contents in one chunk: a view, no copy.
  if (survey.occurrences === 1 && survey.packedStart >= 0 && info.kind === "float") {
    return info.view(buf.buffer, buf.byteOffset + survey.packedStart, count);
  }
  const out = info.create(count);
  const store = storeFor(datatype, out, fail);
  let index = 0;
  forEachField(buf, ranges, field, (reader, wireType, end) => {
    if (wireType !== WIRE.LEN) {
      store(reader, index++);
      return;
    }
    while (reader.pos < end) store(reader, index++);
  });
  return out;
}

/**
 * Whether the contents messages hold any contents field at all (an empty
 * `contents`, or one with unknown fields only, counts as none).
 */
export function hasContents(buf: Uint8Array, ranges: readonly ContentsRange[]): boolean {
  for (const [start, end] of ranges) {
    const reader = new ProtoReader(buf, start, end);
    while (!reader.done) {
      const tag = reader.tag();
      const field = tag >>> 3;
      if (field >= 1 && field <= 8) return true;
      reader.skip(tag & 7);
    }
  }
  return false;
}

/**
 * Calls `visit` for each occurrence of `field` in the contents messages,
 * with a reader positioned at its value (for a packed field, at the first
 * element, and `end` its end); other fields are skipped.
 */
function forEachField(
  buf: Uint8Array,
  ranges: readonly ContentsRange[],
  field: number,
  visit: (reader: ProtoReader, wireType: number, end: number) => void,
): void {
  for (const [start, end] of ranges) {
    const reader = new ProtoReader(buf, start, end);
    while (!reader.done) {
      const tag = reader.tag();
      const wireType = tag & 7;
      if (tag >>> 3 !== field) {
        reader.skip(wireType);
        continue;
      }
      if (wireType !== WIRE.LEN) {
        visit(reader, wireType, reader.end);
        continue;
      }
      const [s, e] = reader.span();
      const inner = new ProtoReader(buf, s, e);
      visit(inner, wireType, e);
    }
  }
}

/** Counts elements and checks fields, allocating nothing. */
function surveyContents(
  buf: Uint8Array,
  ranges: readonly ContentsRange[],
  datatype: Datatype,
  field: number,
  fail: (message: string) => never,
): Survey {
  const survey: Survey = { elements: 0, occurrences: 0, packedStart: -1 };
  const isBytes = datatype === "BYTES";
  // Packed floats have a fixed size; packed varints (0 here) are counted by their ends.
  const fixedSize = isBytes || DATATYPE_INFO[datatype].kind !== "float"
    ? 0
    : DATATYPE_INFO[datatype].size;
  for (const [start, end] of ranges) {
    const reader = new ProtoReader(buf, start, end);
    while (!reader.done) {
      const tag = reader.tag();
      const found = tag >>> 3;
      const wireType = tag & 7;
      if (found !== field) {
        if (found >= 1 && found <= 8) {
          fail(`${datatype} data belongs in ${FIELD_NAMES[field]}, got ${FIELD_NAMES[found]}`);
        }
        reader.skip(wireType);
        continue;
      }
      survey.occurrences++;
      if (wireType !== WIRE.LEN) {
        if (isBytes) fail(`${FIELD_NAMES[field]} has wire type ${wireType}, expected 2`);
        reader.skip(wireType);
        survey.elements++;
        continue;
      }
      const [s, e] = reader.span();
      if (isBytes) {
        survey.elements++;
      } else if (fixedSize > 0) {
        if ((e - s) % fixedSize !== 0) {
          fail(`packed ${FIELD_NAMES[field]} is not a whole number of elements`);
        }
        survey.elements += (e - s) / fixedSize;
      } else {
        // Each varint ends with the one byte below 0x80.
        for (let i = s; i < e; i++) if (buf[i]! < 0x80) survey.elements++;
      }
      if (survey.occurrences === 1) survey.packedStart = s;
    }
  }
  return survey;
}

/** Views of each `bytes_contents` element (counted and budgeted already). */
function bytesElements(
  buf: Uint8Array,
  ranges: readonly ContentsRange[],
  count: number,
): BytesElement[] {
  const out = new Array<BytesElement>(count);
  let index = 0;
  forEachField(buf, ranges, CONTENTS_FIELD.BYTES!, (reader, _wireType, end) => {
    out[index++] = buf.subarray(reader.pos, end);
  });
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
