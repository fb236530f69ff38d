/**
 * Turns the `data` of a JSON tensor (flat or nested, row-major) into typed
 * arrays, checking in the same single pass that the element count and nesting
 * match the shape and that every value fits the datatype.
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";
import {
  type BytesElement,
  type Datatype,
  DATATYPE_INFO,
  type DatatypeInfo,
  elementCount,
  type TensorData,
  type TypedArray,
} from "./datatypes.ts";

/** Just what decoding needs to know about a tensor. */
export interface JsonTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data?: unknown;
}

/** Something that writes one JSON value into a slot of the output. */
type Store = (value: unknown, index: number) => void;

/**
 * Decodes a JSON tensor's data.
 *
 * @param tensor name, datatype, shape and data as received
 * @param what how errors name the tensor; default `Input '<name>'`
 * @returns a typed array, or a list of strings for BYTES
 * @throws {InvalidRequestError} naming the tensor and the problem
 */
export function decodeJsonTensor(tensor: JsonTensor, what?: string): TensorData {
  const { datatype, shape } = tensor;
  const count = elementCount(shape);
  if (count < 0) {
    throw new InvalidRequestError(
      `${label(tensor, what)}: shape [${shape}] holds too many elements`,
    );
  }
  if (tensor.data === undefined) {
    throw new InvalidRequestError(`${label(tensor, what)}: data is missing`);
  }
  // A bare scalar is a one-element tensor, as MLServer reads it.
  const data = Array.isArray(tensor.data) ? tensor.data : [tensor.data];
  let out: TypedArray | undefined;
  if (datatype !== "BYTES") {
    const info = DATATYPE_INFO[datatype];
    // A flat list of plain numbers is by far the common case: one tight loop,
    // no closures, no error label.
    if (data.length === count && (info.kind === "float" || info.kind === "int")) {
      out = info.create(count);
      if (fillNumbers(data, out as NumberArray, info)) return out;
    }
  }
  // The general path reuses `out`: it rewrites every element it keeps.
  return decodeChecked(data, datatype, shape, count, label(tensor, what), out);
}

/**
 * The number of scalars in `data`, counting list lengths only (not values),
 * and stopping once past `limit`. Lists nested deeper than `depth` more
 * levels count as `limit + 1`: the data cannot match the shape, and a body
 * nested thousands of levels deep must not recurse thousands of times.
 */
function leafCount(data: readonly unknown[], limit: number, depth: number): number {
  if (!Array.isArray(data[0])) return data.length;
  if (depth <= 0) return limit + 1;
  let total = 0;
  for (const item of data) {
    total += Array.isArray(item) ? leafCount(item, limit - total, depth - 1) : 1;
    if (total > limit) break;
  }
  return total;
}

/** How errors name a tensor, built only when needed. */
function label(tensor: JsonTensor, what: string | undefined): string {
  return what ?? `Input '${tensor.name}'`;
}

/** The general path: nesting, special values, and per-element errors. */
function decodeChecked(
  data: readonly unknown[],
  datatype: Datatype,
  shape: readonly number[],
  count: number,
  what: string,
  out: TypedArray | undefined,
): TensorData {
  const fail = (message: string): never => {
    throw new InvalidRequestError(`${what}: ${message}`);
  };
  // Nothing is allocated for a shape the data does not fill: a tiny body
  // must not make the server reserve memory for a huge declared shape.
  if (out === undefined && leafCount(data, count, shape.length - 1) !== count) {
    walk(data, shape, count, fail, () => {}); // names where data and shape part
    fail(`data does not have the ${count} elements shape [${shape}] needs`);
  }
  if (datatype === "BYTES") {
    const out = new Array<BytesElement>(count);
    walk(data, shape, count, fail, (value, index) => {
      if (typeof value !== "string") {
        fail(`element ${index} is ${describe(value)}, expected a string for BYTES`);
      }
      out[index] = value as string;
    });
    return out;
  }
  const info = DATATYPE_INFO[datatype];
  const target = out ?? info.create(count);
  walk(data, shape, count, fail, storeFor(datatype, info, target, fail));
  return target;
}

type NumberArray = Exclude<TypedArray, BigInt64Array | BigUint64Array>;

/**
 * Copies a flat list of numbers in range; returns false at the first value
 * that needs the slow path (not a number, out of range, not an integer).
 */
function fillNumbers(data: readonly unknown[], out: NumberArray, info: DatatypeInfo): boolean {
  const min = info.min as number;
  const max = info.max as number;
  const isInt = info.kind === "int";
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    if (typeof value !== "number" || value < min || value > max) return false;
    if (isInt && !Number.isInteger(value)) return false;
    out[i] = value;
  }
  return true;
}

/**
 * Visits every scalar of `data` in row-major order, checking that the
 * nesting matches `shape`: at each level the items are either all lists (one
 * per entry of that dimension) or all scalars (the rest of the tensor, flat).
 */
function walk(
  data: readonly unknown[],
  shape: readonly number[],
  count: number,
  fail: (message: string) => never,
  store: Store,
): void {
  let next = 0;
  const visit = (items: readonly unknown[], dim: number, remaining: number): void => {
    if (items.length > 0 && Array.isArray(items[0])) {
      if (dim >= shape.length - 1) fail(`data is nested deeper than shape [${shape}]`);
      if (items.length !== shape[dim]) {
        fail(
          `data has ${items.length} items at depth ${dim}, shape [${shape}] needs ${shape[dim]}`,
        );
      }
      const inner = shape[dim] === 0 ? 0 : remaining / (shape[dim] as number);
      for (const item of items) {
        if (!Array.isArray(item)) fail(`data mixes lists and values at depth ${dim + 1}`);
        visit(item as unknown[], dim + 1, inner);
      }
      return;
    }
    if (items.length !== remaining) {
      fail(
        dim === 0
          ? `data has ${items.length} elements, shape [${shape}] needs ${count}`
          : `data has ${items.length} values at depth ${dim}, shape [${shape}] needs ${remaining}`,
      );
    }
    for (const item of items) {
      if (Array.isArray(item)) fail(`data mixes lists and values at depth ${dim}`);
      store(item, next++);
    }
  };
  visit(data, 0, count);
}

const FLOAT_WORDS: Readonly<Record<string, number>> = {
  NaN: NaN,
  nan: NaN,
  Infinity: Infinity,
  inf: Infinity,
  "-Infinity": -Infinity,
  "-inf": -Infinity,
};

function storeFor(
  datatype: Datatype,
  info: DatatypeInfo,
  out: TypedArray,
  fail: (message: string) => never,
): Store {
  const bad = (value: unknown, index: number, why: string): never =>
    fail(`element ${index} is ${describe(value)}, ${why}`);
  switch (info.kind) {
    case "bool": {
      const bytes = out as Uint8Array;
      return (value, index) => {
        if (value === true || value === 1) bytes[index] = 1;
        else if (value === false || value === 0) bytes[index] = 0;
        else bad(value, index, "expected true or false for BOOL");
      };
    }
    case "float": {
      const floats = out as Float16Array | Float32Array | Float64Array;
      const max = info.max as number;
      return (value, index) => {
        if (typeof value === "number") {
          if (value > max || value < -max) bad(value, index, `out of range for ${datatype}`);
          floats[index] = value;
        } else if (typeof value === "bigint") {
          // An integer too long for a double, kept exact by `parseJson`: as
          // a float it is rounded, like any other literal.
          const rounded = Number(value);
          if (rounded > max || rounded < -max) bad(value, index, `out of range for ${datatype}`);
          floats[index] = rounded;
        } else if (value === null) {
          floats[index] = NaN;
        } else if (typeof value === "string" && value in FLOAT_WORDS) {
          floats[index] = FLOAT_WORDS[value] as number;
        } else {
          bad(value, index, `expected a number for ${datatype}`);
        }
      };
    }
    case "int": {
      const ints = out as NumberArray;
      const { min, max } = info as { min: number; max: number };
      return (value, index) => {
        if (typeof value === "bigint") bad(value, index, `out of range for ${datatype}`);
        if (typeof value !== "number" || !Number.isInteger(value)) {
          bad(value, index, `expected an integer for ${datatype}`);
        }
        if ((value as number) < min || (value as number) > max) {
          bad(value, index, `out of range for ${datatype}`);
        }
        ints[index] = value as number;
      };
    }
    case "bigint": {
      const bigints = out as BigInt64Array | BigUint64Array;
      const { min, max } = info as { min: bigint; max: bigint };
      return (value, index) => {
        let big: bigint | undefined;
        // Integers past 2^53 arrive as bigints when `parseJson` kept them exact.
        if (typeof value === "bigint") big = value;
        else if (typeof value === "number" && Number.isInteger(value)) big = BigInt(value);
        // Strings keep 64-bit integers exact, as protobuf's JSON mapping writes them.
        else if (typeof value === "string" && /^-?\d{1,20}$/.test(value)) big = BigInt(value);
        if (big === undefined) return bad(value, index, `expected an integer for ${datatype}`);
        if (big < min || big > max) bad(value, index, `out of range for ${datatype}`);
        bigints[index] = big;
      };
    }
  }
}

/** A short, quoted description of a JSON value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  }
  if (typeof value === "object") return Array.isArray(value) ? "a list" : "an object";
  return String(value);
}
