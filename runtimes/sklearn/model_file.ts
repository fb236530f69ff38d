/**
 * From a file on disk to the plain data its pickle describes: joblib's
 * compression is recognised by the magic bytes joblib itself checks, zlib
 * and gzip are inflated with the platform's `DecompressionStream`, and the
 * rest (bz2, xz, lzma, lz4, which Deno has no decoder for) are refused
 * with the way out.
 *
 * @module
 */

import { ByteStream } from "./byte_stream.ts";
import { readPickle } from "./pickle_reader.ts";
import { type SklearnClasses, sklearnResolver } from "./safe_globals.ts";

/** The compressions joblib writes, by the prefixes `joblib.numpy_pickle_utils` looks for. */
const PREFIXES: [string, number[]][] = [
  ["zlib", [0x78]],
  ["gzip", [0x1f, 0x8b]],
  ["bz2", [0x42, 0x5a, 0x68]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a]],
  ["lzma", [0x5d, 0x00, 0x00]],
  ["lz4", [0x04, 0x22, 0x4d, 0x18]],
  ["joblib < 0.9.3 (ZF)", [0x5a, 0x46]],
];

/** The compression of a joblib file, or `none`. */
export function detectCompression(bytes: Uint8Array): string {
  for (const [name, prefix] of PREFIXES) {
    if (prefix.every((b, i) => bytes[i] === b)) return name;
  }
  return "none";
}

/** Decompressed sizes past this are refused: a small file must not fill the memory. */
export const MAX_INFLATED_BYTES = 2 ** 31;

async function inflate(bytes: Uint8Array, format: "deflate" | "gzip"): Promise<Uint8Array> {
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream(format)).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_INFLATED_BYTES) {
      await reader.cancel();
      throw new Error(`The file decompresses to more than ${MAX_INFLATED_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** zlib's Adler-32 checksum. */
function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; i += 4096) {
    const end = Math.min(bytes.length, i + 4096);
    for (let j = i; j < end; j++) {
      a += bytes[j]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

let crcTable: Uint32Array | undefined;

/** gzip's CRC-32. */
function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Checks the stream's trailer against what came out: the platform's
 * decompressor stops quietly at a truncated or damaged end.
 */
function checkTrailer(compressed: Uint8Array, inflated: Uint8Array, format: "deflate" | "gzip") {
  const n = compressed.length;
  const view = new DataView(compressed.buffer, compressed.byteOffset, n);
  const ok = n >= 8 &&
    (format === "deflate"
      ? view.getUint32(n - 4, false) === adler32(inflated)
      : view.getUint32(n - 4, true) === inflated.length % 2 ** 32 &&
        view.getUint32(n - 8, true) === crc32(inflated));
  if (!ok) {
    throw new Error(`The ${format === "deflate" ? "zlib" : "gzip"} stream is truncated or corrupt`);
  }
}

/** The pickle bytes of a (possibly compressed) joblib or pickle file. */
export async function pickleBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const compression = detectCompression(bytes);
  switch (compression) {
    case "none":
      return bytes;
    case "zlib":
    case "gzip": {
      const format = compression === "zlib" ? "deflate" : "gzip";
      const inflated = await inflate(bytes, format).catch((err: Error) => {
        throw new Error(`The ${compression} stream is truncated or corrupt (${err.message})`);
      });
      checkTrailer(bytes, inflated, format);
      return inflated;
    }
    default:
      throw new Error(
        `The file is compressed with ${compression}, which this runtime cannot decompress ` +
          `(zlib and gzip can be read); dump it again with joblib.dump(model, path, ` +
          `compress=("zlib", 3)) or without compression`,
      );
  }
}

/** Reads a model file's pickle into plain data, refusing any global outside the allow-list. */
export async function readModelFile(path: string, sklearn: SklearnClasses): Promise<unknown> {
  const bytes = await pickleBytes(await Deno.readFile(path));
  return readPickleBytes(bytes, sklearn);
}

/** Reads pickle bytes (already decompressed) into plain data. */
export function readPickleBytes(bytes: Uint8Array, sklearn: SklearnClasses): unknown {
  const stream = new ByteStream(bytes);
  return readPickle(stream, { resolve: sklearnResolver(sklearn) });
}
