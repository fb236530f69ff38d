/**
 * Builds REST responses: JSON bodies (gzip-compressed when the client accepts
 * it and the body is worth it), empty health answers, and the one error
 * shape, `{"error": "..."}`.
 *
 * @module
 */

import { isServerFault, messageOf, statusOf, toErrorBody } from "../errors.ts";
import type { Logger } from "../logging.ts";

/** Bodies smaller than this are sent uncompressed (MLServer's threshold). */
export const GZIP_MIN_BYTES = 500;

/** How responses are written for one request. */
export interface ResponseOptions {
  /** Whether the client accepts gzip and compression is enabled. */
  gzip: boolean;
  /** Extra headers (CORS), when there are any. */
  headers?: Headers | undefined;
}

const JSON_TYPE = "application/json";
const JSON_ONLY: Readonly<Record<string, string>> = { "content-type": JSON_TYPE };

/**
 * A JSON response from already-serialised text.
 *
 * @param headers extra headers (CORS, model headers); content type is added
 */
export function jsonText(
  text: string,
  status: number,
  options: ResponseOptions,
  headers: Headers | undefined = options.headers,
): Response {
  return body(text, status, headers, options.gzip, JSON_TYPE);
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

/**
 * The logging rule for a failed request: a server fault (5xx) is logged once
 * with its stack; a client's mistake only at debug level.
 *
 * @param label what failed (`POST /v2/models/m/infer`)
 */
export function logFailure(log: Logger, label: string, err: unknown): void {
  if (isServerFault(err)) log.error(`${label} failed: ${messageOf(err)}`, { err });
  else if (log.enabled("debug")) log.debug(`${label} -> ${statusOf(err)}: ${messageOf(err)}`);
}

/** Sends `payload`, gzip-compressed when allowed and large enough. */
export function body(
  payload: string | Uint8Array<ArrayBuffer>,
  status: number,
  headers: Headers | undefined,
  gzip: boolean,
  contentType: string,
): Response {
  const size = typeof payload === "string" ? payload.length : payload.byteLength;
  const compress = gzip && size >= GZIP_MIN_BYTES;
  if (headers === undefined && !compress && contentType === JSON_TYPE) {
    // The hot path: no extra headers, a constant header object.
    return new Response(payload, { status, headers: JSON_ONLY });
  }
  const all = headers ?? new Headers();
  all.set("content-type", contentType);
  if (!compress) return new Response(payload, { status, headers: all });
  all.set("content-encoding", "gzip");
  all.append("vary", "accept-encoding");
  const stream = new Blob([payload]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream, { status, headers: all });
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
