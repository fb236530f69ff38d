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

async function inflate(bytes: Uint8Array, format: "deflate" | "gzip"): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream(format),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The pickle bytes of a (possibly compressed) joblib or pickle file. */
export async function pickleBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const compression = detectCompression(bytes);
  switch (compression) {
    case "none":
      return bytes;
    case "zlib":
      return await inflate(bytes, "deflate");
    case "gzip":
      return await inflate(bytes, "gzip");
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
