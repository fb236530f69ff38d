/**
 * Inference bodies on REST: reading a request (JSON, or JSON followed by
 * binary tensors) and writing a response (JSON, or JSON followed by binary
 * outputs, with the response's `parameters.headers` moved to HTTP headers).
 *
 * @module
 */

import { encodeJsonResponse } from "../protocol/json_response.ts";
import type { InferenceRequest, InferenceResponse, MetadataTensor } from "../protocol/types.ts";
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
 * Reads and decodes an inference request.
 *
 * @param modelInputs the model's input metadata, asked for only by the raw binary form
 */
export async function readInferenceRequest(
  request: Request,
  limit: number,
  modelInputs: () => Promise<MetadataTensor[]>,
): Promise<RestInference> {
  const binaryHeader = request.headers.get(HEADER_LENGTH);
  const bytes = await readBody(request, limit);
  return binaryHeader === null
    ? { request: decodeJsonOnly(parseJson(bytes)), raw: false }
    : await decodeBinaryRequest(bytes, binaryHeader, modelInputs);
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
