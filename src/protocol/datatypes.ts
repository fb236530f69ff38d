/**
 * The V2 datatypes and what each one is in TypeScript: its typed array, its
 * element size on the wire and the range of values it accepts.
 *
 * @module
 */

/** Every datatype of the Open Inference Protocol, in the protocol's spelling. */
export const DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
] as const;

/**
 * A V2 tensor datatype.
 *
 * @example Datatypes are the protocol's strings
 * ```ts
 * import type { Datatype } from "mlserver";
 * const datatype: Datatype = "FP32";
 * console.assert(datatype === "FP32");
 * ```
 */
export type Datatype = typeof DATATYPES[number];

/** Every datatype held in a typed array (all but BYTES). */
export type NumericDatatype = Exclude<Datatype, "BYTES">;

/**
 * The typed arrays tensors are held in (INT64 and UINT64 as BigInt arrays,
 * FP16 as `Float16Array`, BOOL as `Uint8Array`).
 *
 * @example Any numeric tensor's data
 * ```ts
 * import type { TypedArray } from "mlserver";
 * const arrays: TypedArray[] = [new Float32Array(2), new BigInt64Array(1), new Float16Array(1), new Uint8Array(1)];
 * console.assert(arrays.every((a) => ArrayBuffer.isView(a)));
 * ```
 */
export type TypedArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float16Array
  | Float32Array
  | Float64Array;

/**
 * One element of a BYTES tensor: text as sent in JSON, or raw bytes (binary
 * extension, gRPC).
 *
 * @example Both forms
 * ```ts
 * import type { BytesElement } from "mlserver";
 * const elements: BytesElement[] = ["hello", new TextEncoder().encode("world")];
 * console.assert(elements.length === 2);
 * ```
 */
export type BytesElement = string | Uint8Array;

/**
 * Tensor contents once decoded: a typed array, or a list for BYTES.
 *
 * @example Tell the two apart
 * ```ts
 * import type { TensorData } from "mlserver";
 * const describe = (data: TensorData) => (Array.isArray(data) ? "bytes" : "numbers");
 * console.assert(describe(["a"]) === "bytes" && describe(new Float64Array(1)) === "numbers");
 * ```
 */
export type TensorData = TypedArray | BytesElement[];

/** How values of a numeric datatype are checked and stored. */
export type ValueKind = "bool" | "int" | "bigint" | "float";

/** What the server knows about one numeric datatype. */
export interface DatatypeInfo {
  /** Bytes per element in raw and binary layouts. */
  readonly size: number;
  /** How JSON values are checked. */
  readonly kind: ValueKind;
  /** Smallest accepted value (ints), or largest magnitude (floats). */
  readonly min: number | bigint;
  /** Largest accepted value. */
  readonly max: number | bigint;
  /** The typed array class of this datatype. */
  readonly array: TypedArrayConstructor;
  /** Allocates a typed array of this datatype. */
  readonly create: (length: number) => TypedArray;
  /** Views (or copies, when misaligned) little-endian bytes as this datatype. */
  readonly view: (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray;
}

/**
 * Small tensors are carved out of shared 64 KiB slabs, as Node's Buffer pool
 * does. Deno gives every typed array its own off-heap backing store, and
 * sweeping thousands of tiny ones made young-generation GC pauses (and so
 * tail latency) several times longer. A slab lives as long as any view into
 * it; runtimes must honour `byteOffset`, as they must for zero-copy views of
 * request bodies anyway.
 */
const SLAB_SIZE = 64 * 1024;
const SLAB_MAX_ALLOCATION = 4 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabNext = 0;
let slabOffset = 0;

/** Reserves `bytes` (8-byte aligned) in the current slab; sets `slabOffset`. */
function slabBytes(bytes: number): ArrayBuffer {
  if (slabNext + bytes > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabNext = 0;
  }
  slabOffset = slabNext;
  slabNext += (bytes + 7) & ~7;
  return slab;
}

/** Any typed array class tensors use. */
export type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
};

function info(
  size: number,
  kind: ValueKind,
  min: number | bigint,
  max: number | bigint,
  ctor: TypedArrayConstructor,
): DatatypeInfo {
  return {
    size,
    kind,
    min,
    max,
    array: ctor,
    create: (length) => {
      const bytes = length * size;
      if (bytes > SLAB_MAX_ALLOCATION || bytes === 0) return new ctor(length);
      return new ctor(slabBytes(bytes), slabOffset, length);
    },
    view: (buffer, byteOffset, length) => {
      if (byteOffset % size === 0) return new ctor(buffer, byteOffset, length);
      // Typed arrays need aligned offsets: copy the bytes into a fresh buffer.
      const copy = new Uint8Array(length * size);
      copy.set(new Uint8Array(buffer, byteOffset, length * size));
      return new ctor(copy.buffer, 0, length);
    },
  };
}

const FP16_MAX = 65504;
const FP32_MAX = 3.4028234663852886e38;

/** Per-datatype facts for every numeric datatype. */
export const DATATYPE_INFO: Readonly<Record<NumericDatatype, DatatypeInfo>> = {
  BOOL: info(1, "bool", 0, 1, Uint8Array),
  UINT8: info(1, "int", 0, 0xff, Uint8Array),
  UINT16: info(2, "int", 0, 0xffff, Uint16Array),
  UINT32: info(4, "int", 0, 0xffffffff, Uint32Array),
  UINT64: info(8, "bigint", 0n, 0xffffffffffffffffn, BigUint64Array),
  INT8: info(1, "int", -0x80, 0x7f, Int8Array),
  INT16: info(2, "int", -0x8000, 0x7fff, Int16Array),
  INT32: info(4, "int", -0x80000000, 0x7fffffff, Int32Array),
  INT64: info(8, "bigint", -0x8000000000000000n, 0x7fffffffffffffffn, BigInt64Array),
  FP16: info(2, "float", -FP16_MAX, FP16_MAX, Float16Array),
  FP32: info(4, "float", -FP32_MAX, FP32_MAX, Float32Array),
  FP64: info(8, "float", -Number.MAX_VALUE, Number.MAX_VALUE, Float64Array),
};

const DATATYPE_SET: ReadonlySet<string> = new Set(DATATYPES);

/** Whether a string is a V2 datatype name. */
export function isDatatype(value: string): value is Datatype {
  return DATATYPE_SET.has(value);
}

/** Most dimensions a tensor may have (numpy 2's limit). */
export const MAX_DIMENSIONS = 64;

/**
 * Number of elements a shape holds, or -1 when the product is not a safe
 * integer (a request that claims more elements than any buffer can hold).
 */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return Number.isSafeInteger(count) ? count : -1;
}

/** The datatype of a typed array, when it maps to exactly one. */
export function datatypeOfArray(data: TypedArray): NumericDatatype {
  if (data instanceof Float32Array) return "FP32";
  if (data instanceof Float64Array) return "FP64";
  if (data instanceof Int32Array) return "INT32";
  if (data instanceof BigInt64Array) return "INT64";
  if (data instanceof Uint8Array) return "UINT8";
  if (data instanceof Int8Array) return "INT8";
  if (data instanceof Int16Array) return "INT16";
  if (data instanceof Uint16Array) return "UINT16";
  if (data instanceof Uint32Array) return "UINT32";
  if (data instanceof BigUint64Array) return "UINT64";
  if (data instanceof Float16Array) return "FP16";
  throw new TypeError(`Cannot map ${Object.prototype.toString.call(data)} to a V2 datatype`);
}

/** Whether a value is one of the typed arrays tensors use. */
export function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}
