/**
 * Inference bodies on REST: reading a request (JSON, or JSON followed by
 * binary tensors) and writing a response (JSON, or JSON followed by binary
 * outputs), with transport headers moved into and out of
 * `parameters.headers`.
 *
 * @module
 */

import { encodeJsonResponse } from "../protocol/json_response.ts";
import { withLazyHeaders } from "../protocol/parameters.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  MetadataTensor,
  Parameters,
} from "../protocol/types.ts";
import {
  binaryOutputNames,
  decodeBinaryRequest,
  decodeJsonOnly,
  encodeBinaryResponse,
  HEADER_LENGTH,
} from "./binary.ts";
import { parseJson, readBody } from "./body.ts";
import { body as responseBody, jsonText, type ResponseOptions } from "./responses.ts";

/** A decoded REST inference request and how its answer must be written. */
export interface RestInference {
  request: InferenceRequest;
  /** The raw binary form (header length 0): every output goes back in binary. */
  raw: boolean;
}

/**
 * Reads and decodes an inference request and attaches the HTTP headers as
 * `parameters.headers` (replacing any the client put there). A request
 * without `id` gets a fresh UUID.
 *
 * @param modelInputs the model's input metadata, asked for only by the raw binary form
 */
export async function readInferenceRequest(
  request: Request,
  limit: number,
  modelInputs: () => Promise<MetadataTensor[]>,
): Promise<RestInference> {
  const headers = request.headers;
  const binaryHeader = headers.get(HEADER_LENGTH);
  const bytes = await readBody(request, limit);
  const decoded = binaryHeader === null
    ? { request: decodeJsonOnly(parseJson(bytes)), raw: false }
    : await decodeBinaryRequest(bytes, binaryHeader, modelInputs);
  const inference = decoded.request;
  inference.parameters = withHeaders(inference.parameters, headers);
  inference.id ??= crypto.randomUUID();
  return decoded;
}

/**
 * Writes an inference response, moving `parameters.headers` to HTTP headers;
 * outputs asked for in binary follow the JSON part.
 */
export function writeInferenceResponse(
  response: InferenceResponse,
  inference: RestInference,
  options: ResponseOptions,
): Response {
  const headers = takeResponseHeaders(response, options.headers);
  const binary = binaryOutputNames(inference.request, response, inference.raw);
  if (binary.size === 0) return jsonText(encodeJsonResponse(response), 200, options, headers);
  const { body, jsonLength } = encodeBinaryResponse(response, binary);
  const all = headers ?? new Headers();
  all.set(HEADER_LENGTH, String(jsonLength));
  return responseBody(body, 200, all, options.gzip, "application/octet-stream");
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
