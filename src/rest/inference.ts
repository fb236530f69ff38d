/**
 * Inference bodies on REST: reading a request (JSON, or JSON followed by
 * binary tensors) and writing a response, with transport headers moved into
 * and out of `parameters.headers`.
 *
 * @module
 */

import { decodeJsonRequest } from "../protocol/json_request.ts";
import { encodeJsonResponse } from "../protocol/json_response.ts";
import type { InferenceRequest, InferenceResponse } from "../protocol/types.ts";
import { parseJson } from "./body.ts";
import { jsonText, type ResponseOptions } from "./responses.ts";

/**
 * Decodes an inference request body and attaches the HTTP headers as
 * `parameters.headers` (replacing any the client put there). A request
 * without `id` gets a fresh UUID.
 */
export function readInferenceRequest(body: Uint8Array, headers: Headers): InferenceRequest {
  const request = decodeJsonRequest(parseJson(body));
  request.parameters = { ...request.parameters, headers: headerRecord(headers) };
  request.id ??= crypto.randomUUID();
  return request;
}

/** Writes an inference response, moving `parameters.headers` to HTTP headers. */
export function writeInferenceResponse(
  response: InferenceResponse,
  options: ResponseOptions,
): Response {
  const headers = takeResponseHeaders(response, options.headers);
  return jsonText(encodeJsonResponse(response), 200, { ...options, headers });
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
): Headers {
  const headers = base ?? new Headers();
  const parameters = response.parameters;
  if (parameters?.headers === undefined) return headers;
  const { headers: fromModel, ...rest } = parameters;
  if (Object.keys(rest).length === 0) delete response.parameters;
  else response.parameters = rest;
  for (const [name, value] of Object.entries(fromModel ?? {})) {
    try {
      headers.set(name, String(value));
    } catch {
      // Not a valid HTTP header name or value: nothing sensible to send.
    }
  }
  return headers;
}
