/**
 * A cursor over the bytes of a pickle file. joblib writes array bytes
 * between pickle opcodes, so the pickle reader and the joblib array reader
 * share one cursor.
 *
 * @module
 */

/** ISO-8859-1 (TextDecoder's "latin1" is windows-1252, which remaps 0x80-0x9f). */
export function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}

/** Reads a byte array front to back; every read checks it stays inside. */
export class ByteStream {
  readonly bytes: Uint8Array;
  #view: DataView;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left after the cursor. */
  get remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  #need(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining) {
      throw new Error(
        `Cannot read ${n} bytes at offset ${this.pos}: the file ends after ${this.remaining}`,
      );
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** The next `n` bytes (a view, not a copy). */
  read(n: number): Uint8Array {
    const at = this.#need(n);
    return this.bytes.subarray(at, at + n);
  }

  /** One unsigned byte. */
  u8(): number {
    return this.#view.getUint8(this.#need(1));
  }

  /** Little-endian unsigned 16 bits. */
  u16(): number {
    return this.#view.getUint16(this.#need(2), true);
  }

  /** Little-endian unsigned 32 bits. */
  u32(): number {
    return this.#view.getUint32(this.#need(4), true);
  }

  /** Little-endian signed 32 bits. */
  i32(): number {
    return this.#view.getInt32(this.#need(4), true);
  }

  /** Little-endian unsigned 64 bits, as a safe integer (larger sizes cannot be in a file we read). */
  u64(): number {
    const value = this.#view.getBigUint64(this.#need(8), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`Length ${value} is too large`);
    return Number(value);
  }

  /** Big-endian float64 (pickle's BINFLOAT). */
  f64be(): number {
    return this.#view.getFloat64(this.#need(8), false);
  }

  /** Text up to the next newline (protocol 0 arguments), newline dropped. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw new Error(`Cannot read a line at offset ${this.pos}: no newline follows`);
    const text = latin1(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }
}
