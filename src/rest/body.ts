/**
 * Reads request bodies within `max_request_size`: a declared length over the
 * limit is refused before reading, chunked bodies are counted as they
 * arrive, and gzip bodies are limited after decompression (so a small bomb
 * cannot expand past the limit).
 *
 * @module
 */

import { clip, InvalidRequestError, RequestTooLargeError } from "../errors.ts";

/**
 * Reads the whole body as bytes, decompressed when `Content-Encoding` is gzip
 * or deflate.
 *
 * @throws {RequestTooLargeError} past `limit` bytes
 * @throws {InvalidRequestError} for an unsupported encoding or a broken stream
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const headers = request.headers;
  const encoding = headers.get("content-encoding");
  const length = headers.get("content-length");
  if (length !== null && Number(length) > limit) throw tooLarge(limit);
  const plain = encoding === null || encoding === "" || encoding.toLowerCase() === "identity";
  // A declared length is enforced by the HTTP layer: read it in one go.
  // (Touching `request.body` here would build a stream Deno otherwise skips.)
  if (plain) {
    try {
      if (length !== null) return await request.bytes();
      if (request.body === null) return new Uint8Array(0);
      return await collect(request.body, limit);
    } catch (err) {
      throw cutShort(err);
    }
  }
  if (request.body === null) return new Uint8Array(0);
  const coding = encoding.trim().toLowerCase();
  if (coding !== "gzip" && coding !== "x-gzip" && coding !== "deflate") {
    throw new InvalidRequestError(
      `Unsupported Content-Encoding '${clip(coding, 40)}': use gzip or deflate`,
    );
  }
  const format = coding === "deflate" ? "deflate" : "gzip";
  try {
    return await collect(request.body.pipeThrough(new DecompressionStream(format)), limit);
  } catch (err) {
    if (err instanceof RequestTooLargeError) throw err;
    throw new InvalidRequestError(`Cannot decompress ${format} body: ${(err as Error).message}`);
  }
}

/**
 * A read that fails for the connection's sake (the client closed it before
 * sending the whole body, or sent a broken chunked encoding) is the client's
 * mistake, not the server's: a 400, never a 500.
 */
function cutShort(err: unknown): Error {
  if (err instanceof RequestTooLargeError) return err;
  return new InvalidRequestError(
    err instanceof Deno.errors.BadResource
      ? "The request body is incomplete: the connection closed before all of it arrived"
      : `Cannot read the request body: ${(err as Error).message ?? String(err)}`,
  );
}

async function collect(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw tooLarge(limit);
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function tooLarge(limit: number): RequestTooLargeError {
  return new RequestTooLargeError(
    `Request body exceeds the limit of ${limit} bytes (max_request_size)`,
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses a JSON body. Every body is held to one rule, however it arrived:
 * bytes that are not UTF-8 are a 400, never silently replaced.
 *
 * Integers past 2^53 (INT64 and UINT64 data, as Triton's client sends them)
 * come back as bigints, exact; every other value as `JSON.parse` gives it.
 *
 * @throws {InvalidRequestError} for bytes that are not UTF-8, or malformed JSON
 */
export function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InvalidRequestError("Invalid JSON: the body is not valid UTF-8");
  }
  try {
    return mayHoldLongInteger(text) ? parseExact(text) : JSON.parse(text);
  } catch (err) {
    if (text.trim() === "") throw new InvalidRequestError("Invalid JSON: the body is empty");
    throw new InvalidRequestError(`Invalid JSON: ${(err as Error).message}`);
  }
}

/**
 * Whether a body may hold an integer JSON numbers cannot keep exact: one
 * naming a 64-bit datatype with a run of 16 or more digits that starts a
 * number (not a fraction, an exponent or the inside of a word). Both checks
 * are plain scans, so bodies without them keep `JSON.parse`'s full speed;
 * a false positive costs only speed, never correctness.
 */
function mayHoldLongInteger(text: string): boolean {
  return text.includes("INT64") && LONG_INTEGER.test(text);
}

/** A number token of at least 16 digits (2^53 has 16). */
const LONG_INTEGER = /(?:^|[\s,:[])-?\d{16}/;
/** A JSON integer literal, as `JSON.parse`'s reviver sees its source. */
const INTEGER_SOURCE = /^-?\d+$/;

/**
 * `JSON.parse` keeping integers outside the safe range exact, as bigints,
 * from the source text the reviver is given. The reviver recurses in V8, so
 * a body nested too deep for it is parsed plainly: no tensor can be that
 * deep, and the decoder then names what is wrong with it.
 */
function parseExact(text: string): unknown {
  try {
    return JSON.parse(text, exactIntegers);
  } catch (err) {
    if (err instanceof RangeError) return JSON.parse(text);
    throw err;
  }
}

function exactIntegers(
  this: unknown,
  _key: string,
  value: unknown,
  context?: { source?: string },
): unknown {
  if (typeof value !== "number" || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER_SOURCE.test(source) ? BigInt(source) : value;
}
