/**
 * Builds REST responses: JSON bodies (gzip-compressed when the client accepts
 * it and the body is worth it), empty health answers, and the one error
 * shape, `{"error": "..."}`.
 *
 * @module
 */

import { statusOf, toErrorBody } from "../errors.ts";

/** Bodies smaller than this are sent uncompressed (MLServer's threshold). */
export const GZIP_MIN_BYTES = 500;

/** How responses are written for one request. */
export interface ResponseOptions {
  /** Whether the client accepts gzip and compression is enabled. */
  gzip: boolean;
  /** Extra headers (CORS, model headers). */
  headers?: Headers | undefined;
}

const JSON_TYPE = "application/json";

/** A JSON response from already-serialised text. */
export function jsonText(text: string, status: number, options: ResponseOptions): Response {
  const headers = options.headers ?? new Headers();
  headers.set("content-type", JSON_TYPE);
  return body(text, status, headers, options.gzip);
}

/** A JSON response from a value. */
export function json(value: unknown, status: number, options: ResponseOptions): Response {
  return jsonText(JSON.stringify(value), status, options);
}

/** A response with no body (health answers, load and unload). */
export function empty(status: number, options: ResponseOptions): Response {
  return new Response(
    null,
    options.headers === undefined ? { status } : { status, headers: options.headers },
  );
}

/** The error response for any thrown value. */
export function errorResponse(err: unknown, options: ResponseOptions): Response {
  return json(toErrorBody(err), statusOf(err), options);
}

/** Sends `payload`, gzip-compressed when allowed and large enough. */
export function body(
  payload: string | Uint8Array<ArrayBuffer>,
  status: number,
  headers: Headers,
  gzip: boolean,
): Response {
  const size = typeof payload === "string" ? payload.length : payload.byteLength;
  if (!gzip || size < GZIP_MIN_BYTES) return new Response(payload, { status, headers });
  headers.set("content-encoding", "gzip");
  headers.append("vary", "accept-encoding");
  const stream = new Blob([payload]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream, { status, headers });
}

/** Whether an `Accept-Encoding` header admits gzip. */
export function acceptsGzip(acceptEncoding: string | null): boolean {
  if (acceptEncoding === null) return false;
  for (const part of acceptEncoding.split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}
