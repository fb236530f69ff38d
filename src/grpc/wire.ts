/**
 * Protocol Buffers wire format, just what the V2 messages need: a reader that
 * hands out views into the received bytes (so tensor contents become typed
 * arrays without copying) and an encoder that keeps large payloads as
 * references until the one final copy. Malformed input raises
 * `InvalidRequestError`, which reaches the client as INVALID_ARGUMENT.
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";

/** Wire types. */
export const WIRE = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

function malformed(detail: string): never {
  throw new InvalidRequestError(`Malformed protobuf message: ${detail}`);
}

/** Reads fields from a protobuf message. */
export class ProtoReader {
  readonly buf: Uint8Array;
  readonly end: number;
  pos: number;
  /** High 32 bits of the last value read by `varint64()`. */
  hi = 0;
  #view: DataView | undefined;
  /** Field number and wire type of the last tag read (-1: none yet, as in packed data). */
  #field = 0;
  #wireType = -1;

  constructor(buf: Uint8Array, start = 0, end = buf.byteLength) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Whether every byte has been read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's tag: `field << 3 | wireType`. */
  tag(): number {
    const tag = this.uint32();
    if (tag >>> 3 === 0) malformed("field number 0");
    this.#field = tag >>> 3;
    this.#wireType = tag & 7;
    return tag;
  }

  /** A varint truncated to 32 bits, as protobuf reads int32 and uint32. */
  uint32(): number {
    const buf = this.buf;
    let result = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) malformed("truncated varint");
      const byte = buf[this.pos++] as number;
      if (i < 5) result |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) return result >>> 0;
    }
    return malformed("varint longer than 10 bytes");
  }

  /** A 64-bit varint: returns the low 32 bits, leaves the high ones in `hi`. */
  varint64(): number {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) malformed("truncated varint");
      const byte = buf[this.pos++] as number;
      if (i < 4) {
        lo |= (byte & 0x7f) << (7 * i);
      } else if (i === 4) {
        lo |= (byte & 0x0f) << 28;
        hi = (byte & 0x7f) >> 4;
      } else {
        hi |= (byte & 0x7f) << (7 * i - 32);
      }
      if (byte < 0x80) {
        this.hi = hi >>> 0;
        return lo >>> 0;
      }
    }
    return malformed("varint longer than 10 bytes");
  }

  /**
   * A signed 64-bit varint as a number.
   *
   * @throws {InvalidRequestError} when it does not fit in a safe integer
   */
  int64(what: string): number {
    this.#require(WIRE.VARINT, what);
    const value = toNumber(this.varint64(), this.hi, true);
    if (!Number.isSafeInteger(value)) malformed(`${what} does not fit in a JavaScript number`);
    return value;
  }

  /** A signed (or unsigned) 64-bit varint as a number, or a string when not exact. */
  int64Loose(signed: boolean): number | string {
    this.#require(WIRE.VARINT, undefined);
    const lo = this.varint64();
    const value = toNumber(lo, this.hi, signed);
    if (Number.isSafeInteger(value)) return value;
    const big = (BigInt(this.hi) << 32n) | BigInt(lo);
    return String(signed ? BigInt.asIntN(64, big) : big);
  }

  /**
   * A length-delimited field's bounds; advances past it.
   *
   * @param name names the field in the error when the tag said another wire type
   */
  span(name?: string): [start: number, end: number] {
    this.#require(WIRE.LEN, name);
    // Read whole: a length of 2^32 + 5 truncated to 32 bits would read as 5.
    const length = toNumber(this.varint64(), this.hi, false);
    const start = this.pos;
    const end = start + length;
    if (end > this.end) malformed(`field of ${length} bytes runs past the end of its message`);
    this.pos = end;
    return [start, end];
  }

  /** A length-delimited field as a view (no copy). */
  bytes(name?: string): Uint8Array {
    const [start, end] = this.span(name);
    return this.buf.subarray(start, end);
  }

  /** A length-delimited field as UTF-8 text. */
  string(name?: string): string {
    const [start, end] = this.span(name);
    if (start === end) return "";
    try {
      return utf8Decoder.decode(this.buf.subarray(start, end));
    } catch {
      return malformed("a string field is not valid UTF-8");
    }
  }

  /** A varint bool. */
  bool(): boolean {
    this.#require(WIRE.VARINT, undefined);
    return this.uint32() !== 0;
  }

  /** A little-endian double. */
  double(): number {
    this.#require(WIRE.FIXED64, undefined);
    return this.#dataView().getFloat64(this.#advance(8), true);
  }

  /** A little-endian float. */
  float(): number {
    this.#require(WIRE.FIXED32, undefined);
    return this.#dataView().getFloat32(this.#advance(4), true);
  }

  /** Skips a field of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE.VARINT:
        this.varint64();
        return;
      case WIRE.FIXED64:
        this.#advance(8);
        return;
      case WIRE.LEN:
        this.span();
        return;
      case WIRE.FIXED32:
        this.#advance(4);
        return;
      default:
        malformed(`unsupported wire type ${wireType}`);
    }
  }

  /** Fails unless the wire type matches what the field needs. */
  #require(expected: number, name: string | undefined): void {
    if (this.#wireType !== -1 && this.#wireType !== expected) {
      malformed(
        `field ${name ?? this.#field} has wire type ${this.#wireType}, expected ${expected}`,
      );
    }
  }

  #advance(size: number): number {
    const at = this.pos;
    if (at + size > this.end) malformed("truncated fixed-size field");
    this.pos = at + size;
    return at;
  }

  #dataView(): DataView {
    return this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }
}

/** Combines two 32-bit halves into a number (exact only within 2^53). */
export function toNumber(lo: number, hi: number, signed: boolean): number {
  if (signed && hi & 0x80000000) {
    const negLo = (~lo + 1) >>> 0;
    const negHi = (~hi + (negLo === 0 ? 1 : 0)) >>> 0;
    return -(negHi * 0x100000000 + negLo);
  }
  return hi * 0x100000000 + lo;
}

/** Payloads at least this large are referenced, not copied, until `finish()`. */
const BIG = 512;

/**
 * Builds a protobuf message in one growing buffer. Large payloads are kept
 * as references (`parts`), and the buffer goes on after the bytes already
 * handed to `parts`, so a small message allocates one buffer, nested
 * messages included.
 */
export class ProtoEncoder {
  readonly #parts: Uint8Array[] = [];
  #buf = new Uint8Array(128);
  /** Start of the bytes not yet in `parts`. */
  #start = 0;
  #pos = 0;
  #flushed = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#flushed + this.#pos - this.#start;
  }

  /** Writes a tag. */
  tag(field: number, wireType: number): this {
    return this.uint32((field << 3) | wireType);
  }

  /** Writes an unsigned varint below 2^32. */
  uint32(value: number): this {
    this.#ensure(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.#buf[this.#pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.#buf[this.#pos++] = v;
    return this;
  }

  /** Writes a 64-bit varint from its two 32-bit halves. */
  varint64(lo: number, hi: number): this {
    this.#ensure(10);
    let l = lo >>> 0;
    let h = hi >>> 0;
    while (h > 0 || l >= 0x80) {
      this.#buf[this.#pos++] = (l & 0x7f) | 0x80;
      l = ((l >>> 7) | (h << 25)) >>> 0;
      h >>>= 7;
    }
    this.#buf[this.#pos++] = l;
    return this;
  }

  /** Writes a signed integer (int32 or int64) as a varint. */
  int(value: number): this {
    if (value >= 0 && value < 0x100000000) return this.uint32(value);
    const lo = value >>> 0;
    const hi = Math.floor(value / 0x100000000) >>> 0;
    return this.varint64(lo, hi);
  }

  /** Writes a string field (omitted when empty, as proto3 does for singular fields). */
  string(field: number, value: string): this {
    return value === "" ? this : this.repeatedString(field, value);
  }

  /** Writes one element of a repeated string field (empty strings included). */
  repeatedString(field: number, value: string): this {
    return this.bytes(field, utf8Encoder.encode(value));
  }

  /** Writes a bytes field; large payloads are referenced, not copied. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE.LEN).uint32(value.byteLength);
    return this.raw(value);
  }

  /** Appends bytes as they are. */
  raw(value: Uint8Array): this {
    if (value.byteLength >= BIG) {
      this.#flush();
      this.#parts.push(value);
      this.#flushed += value.byteLength;
    } else {
      this.#ensure(value.byteLength);
      this.#buf.set(value, this.#pos);
      this.#pos += value.byteLength;
    }
    return this;
  }

  /** Writes an embedded message. */
  message(field: number, child: ProtoEncoder): this {
    this.tag(field, WIRE.LEN).uint32(child.length);
    if (child.#parts.length === 0) return this.raw(child.#buf.subarray(child.#start, child.#pos));
    child.#flush();
    this.#flush();
    for (const part of child.#parts) this.#parts.push(part);
    this.#flushed += child.#flushed;
    return this;
  }

  /** Writes a little-endian double. */
  double(value: number): this {
    this.#ensure(8);
    new DataView(this.#buf.buffer).setFloat64(this.#pos, value, true);
    this.#pos += 8;
    return this;
  }

  /** The whole message in one buffer. */
  finish(): Uint8Array {
    if (this.#parts.length === 0) return this.#buf.subarray(this.#start, this.#pos);
    this.#flush();
    if (this.#parts.length === 1) return this.#parts[0] as Uint8Array;
    const out = new Uint8Array(this.#flushed);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }

  #ensure(extra: number): void {
    if (this.#pos + extra <= this.#buf.byteLength) return;
    // Earlier parts may view the old buffer: move the unflushed bytes to a new one.
    const pending = this.#pos - this.#start;
    const grown = new Uint8Array(Math.max(this.#buf.byteLength * 2, pending + extra));
    grown.set(this.#buf.subarray(this.#start, this.#pos));
    this.#buf = grown;
    this.#start = 0;
    this.#pos = pending;
  }

  #flush(): void {
    if (this.#pos === this.#start) return;
    this.#parts.push(this.#buf.subarray(this.#start, this.#pos));
    this.#flushed += this.#pos - this.#start;
    this.#start = this.#pos;
  }
}
