/**
 * Reads request bodies within `max_request_size`: a declared length over the
 * limit is refused before reading, chunked bodies are counted as they
 * arrive, and gzip bodies are limited after decompression (so a small bomb
 * cannot expand past the limit).
 *
 * @module
 */

import { InvalidRequestError, RequestTooLargeError } from "../errors.ts";

/** The request body as the transport delivered it. */
export type Body = { kind: "text"; text: string } | { kind: "bytes"; bytes: Uint8Array };

/**
 * Whether the body can be read in one go as declared (the common case): a
 * `Content-Length` within `limit` and no content encoding.
 *
 * @throws {RequestTooLargeError} when the declared length exceeds `limit`
 */
export function isPlainBody(headers: Headers, limit: number): boolean {
  const length = headers.get("content-length");
  if (length === null) return false;
  if (Number(length) > limit) throw tooLarge(limit);
  const encoding = headers.get("content-encoding");
  return encoding === null || encoding === "" || encoding.toLowerCase() === "identity";
}

/**
 * Reads the whole body. Plain bodies of declared length come back as text
 * when `asText` (the common JSON case, read without an extra copy); all others
 * as bytes, decompressed when `Content-Encoding` is gzip or deflate.
 *
 * @throws {RequestTooLargeError} past `limit` bytes
 * @throws {InvalidRequestError} for an unsupported encoding or a broken stream
 */
export async function readBody(request: Request, limit: number, asText: boolean): Promise<Body> {
  const headers = request.headers;
  const encoding = headers.get("content-encoding");
  const length = headers.get("content-length");
  if (length !== null && Number(length) > limit) throw tooLarge(limit);
  const plain = encoding === null || encoding === "" || encoding.toLowerCase() === "identity";
  if (plain && length !== null) {
    // A declared length is enforced by the HTTP layer: read it in one go.
    // (Touching `request.body` here would build a stream Deno otherwise skips.)
    return asText
      ? { kind: "text", text: await request.text() }
      : { kind: "bytes", bytes: await request.bytes() };
  }
  if (request.body === null) return { kind: "bytes", bytes: new Uint8Array(0) };
  if (plain) return { kind: "bytes", bytes: await collect(request.body, limit) };
  const coding = encoding.trim().toLowerCase();
  if (coding !== "gzip" && coding !== "x-gzip" && coding !== "deflate") {
    throw new InvalidRequestError(`Unsupported Content-Encoding '${coding}': use gzip or deflate`);
  }
  const format = coding === "deflate" ? "deflate" : "gzip";
  try {
    const inflated = request.body.pipeThrough(new DecompressionStream(format));
    return { kind: "bytes", bytes: await collect(inflated, limit) };
  } catch (err) {
    if (err instanceof RequestTooLargeError) throw err;
    throw new InvalidRequestError(`Cannot decompress ${format} body: ${(err as Error).message}`);
  }
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

/** The body as text (bytes must be valid UTF-8). */
export function bodyText(body: Body): string {
  if (body.kind === "text") return body.text;
  try {
    return utf8.decode(body.bytes);
  } catch {
    throw new InvalidRequestError("Invalid JSON: the body is not valid UTF-8");
  }
}

/**
 * Parses a JSON body.
 *
 * @throws {InvalidRequestError} with the parser's message for malformed JSON
 */
export function parseJson(body: Body): unknown {
  const text = bodyText(body);
  try {
    return JSON.parse(text);
  } catch (err) {
    if (text.trim() === "") throw new InvalidRequestError("Invalid JSON: the body is empty");
    throw new InvalidRequestError(`Invalid JSON: ${(err as Error).message}`);
  }
}

/** Whether a body is empty. */
export function isEmpty(body: Body): boolean {
  return body.kind === "text" ? body.text.length === 0 : body.bytes.byteLength === 0;
}
