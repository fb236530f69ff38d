/**
 * Inference bodies on REST: reading a request (JSON, or JSON followed by
 * binary tensors) and writing a response, with transport headers moved into
 * and out of `parameters.headers`.
 *
 * @module
 */

import { decodeJsonRequest } from "../protocol/json_request.ts";
import { withLazyHeaders } from "../protocol/parameters.ts";
import { encodeJsonResponse } from "../protocol/json_response.ts";
import type { InferenceRequest, InferenceResponse, Parameters } from "../protocol/types.ts";
import { type Body, isPlainBody, parseJson, readBody } from "./body.ts";
import { jsonText, type ResponseOptions } from "./responses.ts";

/**
 * Reads and decodes an inference request and attaches the HTTP headers as
 * `parameters.headers` (replacing any the client put there). A request
 * without `id` gets a fresh UUID.
 */
export async function readInferenceRequest(
  request: Request,
  limit: number,
): Promise<InferenceRequest> {
  // The plain case reads the text directly, without the general reader's
  // extra async step and wrapper (this path runs for every request).
  const body: Body = isPlainBody(request.headers, limit)
    ? { kind: "text", text: await request.text() }
    : await readBody(request, limit, true);
  const inference = decodeJsonRequest(parseJson(body));
  inference.parameters = withHeaders(inference.parameters, request.headers);
  inference.id ??= crypto.randomUUID();
  return inference;
}

/** Writes an inference response, moving `parameters.headers` to HTTP headers. */
export function writeInferenceResponse(
  response: InferenceResponse,
  options: ResponseOptions,
): Response {
  const headers = takeResponseHeaders(response, options.headers);
  return jsonText(encodeJsonResponse(response), 200, options, headers);
}

/** Copies `parameters` with `headers` set to the HTTP headers (built on first read). */
export function withHeaders(parameters: Parameters | undefined, headers: Headers): Parameters {
  return withLazyHeaders(parameters, () => headerRecord(headers));
}

/** HTTP headers as a plain object (names are lower-case in `Headers`). */
export function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of headers) record[name] = value;
  return record;
}

/**
 * Removes `parameters.headers` from a response (and `parameters` when that
 * leaves it empty), returning them as HTTP headers merged over `base`.
 * Names or values HTTP cannot carry are dropped.
 */
export function takeResponseHeaders(
  response: InferenceResponse,
  base: Headers | undefined,
): Headers | undefined {
  const parameters = response.parameters;
  if (parameters === undefined || parameters === null || parameters.headers === undefined) {
    return base;
  }
  const { headers: fromModel, ...rest } = parameters;
  if (Object.keys(rest).length === 0) delete response.parameters;
  else response.parameters = rest;
  const headers = base ?? new Headers();
  for (const [name, value] of Object.entries(fromModel ?? {})) {
    try {
      headers.set(name, String(value));
    } catch {
      // Not a valid HTTP header name or value: nothing sensible to send.
    }
  }
  return headers;
}
