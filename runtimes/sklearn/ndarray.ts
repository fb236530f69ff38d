/**
 * numpy arrays and dtypes as the pickle reader rebuilds them: the bytes a
 * pickle carries plus the dtype that says how to read them. This file plays
 * the part of `numpy.dtype.__setstate__`, `ndarray.__setstate__`,
 * `numpy.core.multiarray.scalar` and `numpy.core.numeric._frombuffer`, for
 * the dtypes scikit-learn models hold: booleans, integers, floats, byte and
 * unicode strings, objects, and structured records (tree nodes).
 *
 * @module
 */

/** One field of a structured dtype. */
export interface DTypeField {
  name: string;
  dtype: DType;
  offset: number;
}

/** A numpy dtype: kind letter, item size in bytes, byte order, fields. */
export class DType {
  kind: string;
  itemsize: number;
  littleEndian = true;
  fields: DTypeField[] | undefined = undefined;

  /** Built from the dtype constructor's first argument (`f8`, `U6`, `V56`, `O8`). */
  constructor(spec: string) {
    const match = /^([<>|=]?)([a-zA-Z])(\d*)/.exec(spec);
    if (match === null) throw new Error(`Cannot read numpy dtype '${spec}'`);
    this.kind = match[2]!;
    if (this.kind === "U") this.itemsize = Number(match[3] || 0) * 4;
    else this.itemsize = Number(match[3] || (this.kind === "b" || this.kind === "?" ? 1 : 0));
    if (this.kind === "?") this.kind = "b";
    if (match[1] === ">") this.littleEndian = false;
  }

  /** `dtype.__setstate__`: (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata]). */
  setState(state: unknown): void {
    if (!Array.isArray(state) || state.length < 8) {
      throw new Error("Cannot read numpy dtype: unexpected state");
    }
    const [, byteorder, subarray, names, fields, elsize] = state as unknown[];
    if (byteorder === ">") this.littleEndian = false;
    else if (byteorder === "<" || byteorder === "=" || byteorder === "|") this.littleEndian = true;
    if (subarray !== null && subarray !== undefined) {
      throw new Error("Cannot read numpy dtype: sub-array dtypes are not supported");
    }
    if (typeof elsize === "number" && elsize > 0) this.itemsize = elsize;
    if (Array.isArray(names) && fields instanceof Map) {
      this.fields = names.map((name) => {
        const entry = fields.get(name);
        if (!Array.isArray(entry) || !(entry[0] instanceof DType) || typeof entry[1] !== "number") {
          throw new Error(`Cannot read numpy dtype: field '${String(name)}' is malformed`);
        }
        return { name: String(name), dtype: entry[0], offset: entry[1] };
      });
    }
  }

  /** numpy's `dtype.str`-like name (`<f8`, `|O`), for messages and outputs. */
  get str(): string {
    if (this.kind === "O") return "|O";
    const order = this.itemsize <= 1 && this.kind !== "U" ? "|" : this.littleEndian ? "<" : ">";
    const size = this.kind === "U" ? this.itemsize / 4 : this.itemsize;
    return `${order}${this.kind}${size}`;
  }
}

/** A numpy array: C-ordered bytes (or objects, for dtype `O`) and a shape. */
export class NdArray {
  dtype: DType;
  shape: number[];
  /** Element bytes in C order (empty for object arrays). */
  bytes: Uint8Array = new Uint8Array();
  /** Elements of an object array, in C order. */
  objects: unknown[] | undefined = undefined;

  constructor(dtype: DType = new DType("f8"), shape: number[] = [0]) {
    this.dtype = dtype;
    this.shape = shape;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** `ndarray.__setstate__`: ([version,] shape, dtype, is_fortran, data). */
  setState(state: unknown): void {
    if (!Array.isArray(state)) throw new Error("Cannot read numpy array: unexpected state");
    const parts = state.length === 5 ? state.slice(1) : state;
    const [shape, dtype, fortran, data] = parts as unknown[];
    if (!Array.isArray(shape) || !(dtype instanceof DType)) {
      throw new Error("Cannot read numpy array: unexpected state");
    }
    this.setContents(dtype, shape.map(Number), fortran === true, data);
  }

  /** Fills the array from raw bytes (or an object list), reordering Fortran data to C order. */
  setContents(dtype: DType, shape: number[], fortran: boolean, data: unknown): void {
    this.dtype = dtype;
    this.shape = shape;
    const size = this.size;
    if (dtype.kind === "O") {
      if (!Array.isArray(data) || data.length !== size) {
        throw new Error(`Cannot read numpy object array: expected ${size} elements`);
      }
      this.objects = fortran ? fortranToC(data, shape, 1) as unknown[] : [...data];
      return;
    }
    const raw = typeof data === "string" ? latin1Bytes(data) : data;
    if (!(raw instanceof Uint8Array)) throw new Error("Cannot read numpy array: data is not bytes");
    if (raw.byteLength !== size * dtype.itemsize) {
      throw new Error(
        `Cannot read numpy array of shape [${shape}] and dtype ${dtype.str}: ` +
          `${raw.byteLength} bytes for ${size * dtype.itemsize}`,
      );
    }
    this.bytes = fortran && shape.length > 1
      ? fortranToC(raw, shape, dtype.itemsize) as Uint8Array
      : raw.slice();
  }
}

function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Reorders column-major elements (of `width` bytes, or objects when width is 1 on a list) to row-major. */
function fortranToC(data: Uint8Array | unknown[], shape: number[], width: number) {
  const size = shape.reduce((a, b) => a * b, 1);
  const out: Uint8Array | unknown[] = data instanceof Uint8Array
    ? new Uint8Array(data.byteLength)
    : new Array(size);
  const index = new Array<number>(shape.length).fill(0);
  for (let c = 0; c < size; c++) {
    // c walks the C order; f is the same element's place in Fortran order.
    let f = 0;
    for (let d = shape.length - 1; d >= 0; d--) f = f * shape[d]! + index[d]!;
    if (out instanceof Uint8Array) {
      out.set((data as Uint8Array).subarray(f * width, (f + 1) * width), c * width);
    } else out[c] = (data as unknown[])[f];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

/** Reads element `i` of a non-object array (or record field) as a JavaScript value. */
export function readElement(
  bytes: Uint8Array,
  dtype: DType,
  offset: number,
): number | bigint | boolean | string {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, dtype.itemsize);
  const le = dtype.littleEndian;
  switch (`${dtype.kind}${dtype.itemsize}`) {
    case "f8":
      return view.getFloat64(0, le);
    case "f4":
      return view.getFloat32(0, le);
    case "f2":
      return float16(view.getUint16(0, le));
    case "i8": {
      const v = view.getBigInt64(0, le);
      return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
    }
    case "u8": {
      const v = view.getBigUint64(0, le);
      return v <= 2n ** 53n ? Number(v) : v;
    }
    case "i4":
      return view.getInt32(0, le);
    case "u4":
      return view.getUint32(0, le);
    case "i2":
      return view.getInt16(0, le);
    case "u2":
      return view.getUint16(0, le);
    case "i1":
      return view.getInt8(0);
    case "u1":
      return view.getUint8(0);
    case "b1":
      return view.getUint8(0) !== 0;
  }
  if (dtype.kind === "U") {
    let text = "";
    for (let k = 0; k < dtype.itemsize; k += 4) {
      const code = view.getUint32(k, le);
      if (code === 0) break;
      text += String.fromCodePoint(code);
    }
    return text;
  }
  if (dtype.kind === "S") {
    let text = "";
    for (let k = 0; k < dtype.itemsize; k++) {
      const code = view.getUint8(k);
      if (code === 0) break;
      text += String.fromCharCode(code);
    }
    return text;
  }
  throw new Error(`numpy dtype ${dtype.str} is not supported`);
}

function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Every element of an array as JavaScript values, in C order. */
export function elements(array: NdArray): unknown[] {
  if (array.objects !== undefined) return array.objects;
  if (array.dtype.fields !== undefined) {
    throw new Error(`numpy record array ${array.dtype.str} has no scalar elements`);
  }
  const out = new Array<unknown>(array.size);
  for (let i = 0; i < out.length; i++) {
    out[i] = readElement(array.bytes, array.dtype, i * array.dtype.itemsize);
  }
  return out;
}

/** The array's numbers as float64 (booleans as 0/1), in C order. */
export function toFloat64(array: NdArray): Float64Array {
  const { dtype, bytes } = array;
  if (
    dtype.kind === "f" && dtype.itemsize === 8 && dtype.littleEndian && bytes.byteOffset % 8 === 0
  ) {
    return new Float64Array(bytes.buffer, bytes.byteOffset, array.size).slice();
  }
  const out = new Float64Array(array.size);
  const values = elements(array);
  for (let i = 0; i < out.length; i++) {
    const v = values[i];
    if (typeof v === "number") out[i] = v;
    else if (typeof v === "bigint" || typeof v === "boolean") out[i] = Number(v);
    else if (v === null) out[i] = NaN;
    else throw new Error(`numpy array of dtype ${dtype.str} holds a non-number`);
  }
  return out;
}

/** One field of a structured (record) array as float64, e.g. a tree's `threshold`. */
export function fieldFloat64(array: NdArray, name: string): Float64Array {
  const field = array.dtype.fields?.find((f) => f.name === name);
  if (field === undefined) throw new Error(`numpy record array has no field '${name}'`);
  const out = new Float64Array(array.size);
  const stride = array.dtype.itemsize;
  for (let i = 0; i < out.length; i++) {
    out[i] = Number(readElement(array.bytes, field.dtype, i * stride + field.offset));
  }
  return out;
}

/** Whether a structured array has a field. */
export function hasField(array: NdArray, name: string): boolean {
  return array.dtype.fields?.some((f) => f.name === name) ?? false;
}

/** `numpy.core.multiarray.scalar(dtype, bytes)`: one value. */
export function scalarOf(dtype: DType, data: unknown): unknown {
  if (dtype.kind === "O") return data;
  const raw = typeof data === "string" ? latin1Bytes(data) : data;
  if (!(raw instanceof Uint8Array) || raw.byteLength < dtype.itemsize) {
    throw new Error(`Cannot read numpy scalar of dtype ${dtype.str}`);
  }
  return readElement(raw, dtype, 0);
}

/** `numpy.core.numeric._frombuffer(buffer, dtype, shape, order)`: protocol 5's array form. */
export function fromBuffer(data: unknown, dtype: unknown, shape: unknown, order: unknown): NdArray {
  if (!(dtype instanceof DType) || !Array.isArray(shape)) {
    throw new Error("Cannot read numpy array: _frombuffer arguments are malformed");
  }
  const array = new NdArray();
  array.setContents(dtype, shape.map(Number), order === "F", data);
  return array;
}
