/**
 * A strict Universal Binary JSON (UBJSON draft 12) decoder, enough for the
 * `.ubj` model files XGBoost writes: optimized containers (`$` type, `#`
 * count) and 64-bit integers. Hand-written because the npm decoders we
 * tried reject int64 (`L`), which XGBoost uses for every key length.
 *
 * Strongly typed numeric arrays decode to typed arrays (big-endian on the
 * wire, native in memory); int64 values must fit a JS number.
 *
 * @module
 */

/** A decoded value. Numeric arrays with a declared type are typed arrays. */
export type UbjsonValue =
  | null
  | boolean
  | number
  | string
  | UbjsonValue[]
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | { [key: string]: UbjsonValue };

const MAX_DEPTH = 64;

/** Decodes one UBJSON value that spans all of `bytes`. */
export function decodeUbjson(bytes: Uint8Array): UbjsonValue {
  const reader = new Reader(bytes);
  const value = reader.value(reader.marker(), 0);
  if (reader.offset !== bytes.length) {
    throw new SyntaxError(`UBJSON: ${bytes.length - reader.offset} bytes after the value`);
  }
  return value;
}

/** Sets a key as JSON.parse does: `__proto__` too is an ordinary key. */
function define(object: { [key: string]: UbjsonValue }, key: string, value: UbjsonValue): void {
  Object.defineProperty(object, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

const TYPED_ARRAYS = {
  i: { size: 1, make: (n: number) => new Int8Array(n) },
  U: { size: 1, make: (n: number) => new Uint8Array(n) },
  I: { size: 2, make: (n: number) => new Int16Array(n) },
  l: { size: 4, make: (n: number) => new Int32Array(n) },
  d: { size: 4, make: (n: number) => new Float32Array(n) },
  D: { size: 8, make: (n: number) => new Float64Array(n) },
} as const;

type TypedMarker = keyof typeof TYPED_ARRAYS;

class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #text = new TextDecoder("utf-8", { fatal: true });
  offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  marker(): string {
    let marker: string;
    do marker = String.fromCharCode(this.#take(1)); while (marker === "N"); // N is a no-op
    return marker;
  }

  value(marker: string, depth: number): UbjsonValue {
    switch (marker) {
      case "Z":
        return null;
      case "T":
        return true;
      case "F":
        return false;
      case "S":
      case "H":
        return this.#string();
      case "C":
        return String.fromCharCode(this.#view.getUint8(this.#advance(1)));
      case "[":
        return this.#array(depth + 1);
      case "{":
        return this.#object(depth + 1);
      default:
        return this.#number(marker);
    }
  }

  #number(marker: string): number {
    const view = this.#view;
    switch (marker) {
      case "i":
        return view.getInt8(this.#advance(1));
      case "U":
        return view.getUint8(this.#advance(1));
      case "I":
        return view.getInt16(this.#advance(2));
      case "l":
        return view.getInt32(this.#advance(4));
      case "L": {
        const big = view.getBigInt64(this.#advance(8));
        const value = Number(big);
        if (!Number.isSafeInteger(value)) {
          throw new RangeError(`UBJSON: int64 ${big} does not fit a JS number`);
        }
        return value;
      }
      case "d":
        return view.getFloat32(this.#advance(4));
      case "D":
        return view.getFloat64(this.#advance(8));
      default:
        throw new SyntaxError(
          `UBJSON: unknown type marker '${marker}' at byte ${this.offset - 1}`,
        );
    }
  }

  #length(): number {
    const length = this.#number(this.marker());
    if (!Number.isInteger(length) || length < 0) {
      throw new SyntaxError(`UBJSON: invalid length ${length} at byte ${this.offset}`);
    }
    return length;
  }

  #string(): string {
    const length = this.#length();
    const start = this.#advance(length);
    return this.#text.decode(this.#bytes.subarray(start, start + length));
  }

  /** Reads the optional `$type` and `#count` header of a container. */
  #header(): { type?: string; count?: number; next?: string } {
    let next = this.marker();
    let type: string | undefined;
    if (next === "$") {
      type = String.fromCharCode(this.#take(1));
      next = this.marker();
      if (next !== "#") throw new SyntaxError(`UBJSON: '$' without '#' at byte ${this.offset}`);
    }
    if (next === "#") {
      const count = this.#length();
      return type === undefined ? { count } : { type, count };
    }
    return { next };
  }

  #array(depth: number): UbjsonValue {
    this.#checkDepth(depth);
    const { type, count, next } = this.#header();
    if (type !== undefined && type in TYPED_ARRAYS) {
      return this.#typedArray(type as TypedMarker, count!);
    }
    const items: UbjsonValue[] = [];
    if (count !== undefined) {
      // An element takes at least one byte unless its type is declared, and
      // no real document holds more elements than bytes.
      if (type === undefined) this.#ensure(count);
      else if (count > this.#bytes.length) this.#ensure(count);
      for (let i = 0; i < count; i++) items.push(this.value(type ?? this.marker(), depth));
      return items;
    }
    for (let marker = next!; marker !== "]"; marker = this.marker()) {
      items.push(this.value(marker, depth));
    }
    return items;
  }

  #typedArray(type: TypedMarker, count: number): UbjsonValue {
    const { size, make } = TYPED_ARRAYS[type];
    const start = this.#advance(count * size);
    const out = make(count);
    const view = this.#view;
    for (let i = 0, at = start; i < count; i++, at += size) {
      switch (type) {
        case "i":
          out[i] = view.getInt8(at);
          break;
        case "U":
          out[i] = view.getUint8(at);
          break;
        case "I":
          out[i] = view.getInt16(at);
          break;
        case "l":
          out[i] = view.getInt32(at);
          break;
        case "d":
          out[i] = view.getFloat32(at);
          break;
        case "D":
          out[i] = view.getFloat64(at);
          break;
      }
    }
    return out;
  }

  #object(depth: number): UbjsonValue {
    this.#checkDepth(depth);
    const { type, count, next } = this.#header();
    const object: { [key: string]: UbjsonValue } = {};
    if (count !== undefined) {
      for (let i = 0; i < count; i++) {
        const key = this.#string();
        define(object, key, this.value(type ?? this.marker(), depth));
      }
      return object;
    }
    for (let marker = next!; marker !== "}"; marker = this.marker()) {
      this.offset--; // the key's length marker was read as a value marker
      const key = this.#string();
      define(object, key, this.value(this.marker(), depth));
    }
    return object;
  }

  #checkDepth(depth: number): void {
    if (depth > MAX_DEPTH) throw new RangeError(`UBJSON: nesting deeper than ${MAX_DEPTH}`);
  }

  #ensure(length: number): void {
    if (length > this.#bytes.length - this.offset) {
      throw new RangeError(
        `UBJSON: value at byte ${this.offset} needs ${length} bytes, ` +
          `${this.#bytes.length - this.offset} left`,
      );
    }
  }

  #advance(length: number): number {
    this.#ensure(length);
    const start = this.offset;
    this.offset += length;
    return start;
  }

  #take(length: 1): number {
    return this.#bytes[this.#advance(length)]!;
  }
}
