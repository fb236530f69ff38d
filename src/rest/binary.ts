/**
 * Triton's binary tensor data extension on REST (which MLServer lacks): a
 * JSON request header followed by raw tensor bytes, sized by the
 * `Inference-Header-Content-Length` header; binary outputs on request; and
 * the raw form (header length 0) for single-input models. Tensor bytes use
 * the layout of `protocol/raw_tensor.ts`, shared with gRPC raw contents.
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";
import { DecodeBudget } from "../protocol/budget.ts";
import { DATATYPE_INFO } from "../protocol/datatypes.ts";
import { decodeJsonRequest } from "../protocol/json_request.ts";
import { encodeJsonResponse, jsonValue } from "../protocol/json_response.ts";
import { describe } from "../protocol/json_tensor.ts";
import { checkedData } from "../protocol/outputs.ts";
import { decodeRawTensor, encodeRawTensor } from "../protocol/raw_tensor.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  MetadataTensor,
  Parameters,
  RequestInput,
} from "../protocol/types.ts";
import { parseJson } from "./body.ts";

/** The header that carries the length of the JSON part. */
export const HEADER_LENGTH = "inference-header-content-length";

/** Reads `binary_data_size` from an input's parameters; undefined when absent. */
function binarySize(parameters: Parameters | undefined, name: string): number | undefined {
  const size = parameters?.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidRequestError(
      `Input '${name}': parameters.binary_data_size must be a non-negative integer, got ${
        describe(size)
      }`,
    );
  }
  return size;
}

/**
 * Decodes a JSON-only request, refusing inputs that announce binary data
 * (which needs the header).
 */
export function decodeJsonOnly(body: unknown): InferenceRequest {
  return decodeJsonRequest(body, (input) => {
    if (binarySize(input.parameters, input.name) !== undefined) {
      throw new InvalidRequestError(
        `Input '${input.name}' has parameters.binary_data_size but the request has no ` +
          `Inference-Header-Content-Length header`,
      );
    }
    return undefined;
  });
}

/**
 * Decodes a request that uses the binary extension.
 *
 * @param body the whole request body
 * @param header the `Inference-Header-Content-Length` value
 * @param rawInput for the raw form: the model's single input, when it has one
 * @returns the request, and whether it was the raw form (then every output
 * is answered in binary)
 * @throws {InvalidRequestError} naming the problem
 */
export async function decodeBinaryRequest(
  body: Uint8Array,
  header: string,
  rawInput: () => Promise<MetadataTensor[]>,
): Promise<{ request: InferenceRequest; raw: boolean }> {
  const jsonLength = /^\d+$/.test(header.trim()) ? Number(header) : NaN;
  if (!Number.isSafeInteger(jsonLength)) {
    throw new InvalidRequestError(
      `Invalid Inference-Header-Content-Length ${describe(header)}`,
    );
  }
  if (jsonLength > body.byteLength) {
    throw new InvalidRequestError(
      `Inference-Header-Content-Length is ${jsonLength} but the body has only ${body.byteLength} bytes`,
    );
  }
  if (jsonLength === 0) return { request: decodeRawForm(body, await rawInput()), raw: true };
  const binary = body.subarray(jsonLength);
  const budget = new DecodeBudget(body.byteLength);
  let offset = 0;
  const request = decodeJsonRequest(
    parseJson(body.subarray(0, jsonLength)),
    (input) => {
      const size = binarySize(input.parameters, input.name);
      if (size === undefined) return undefined;
      if (input.data !== undefined) {
        throw new InvalidRequestError(
          `Input '${input.name}' has both data and parameters.binary_data_size`,
        );
      }
      if (offset + size > binary.byteLength) {
        throw new InvalidRequestError(
          `Input '${input.name}' claims ${size} bytes of binary data, only ${
            binary.byteLength - offset
          } remain`,
        );
      }
      const chunk = binary.subarray(offset, offset + size);
      offset += size;
      return decodeRawTensor(chunk, input, { budget });
    },
  );
  if (offset !== binary.byteLength) {
    throw new InvalidRequestError(
      `The body has ${binary.byteLength} bytes after the JSON header but the inputs' ` +
        `binary_data_size add up to ${offset}`,
    );
  }
  return { request, raw: false };
}

/**
 * The raw form: the whole body is the one input of a single-input model,
 * whose shape is inferred (at most one variable dimension; BYTES: one
 * element, the whole body).
 */
function decodeRawForm(body: Uint8Array, inputs: MetadataTensor[]): InferenceRequest {
  const needs = "A raw binary request (Inference-Header-Content-Length: 0) needs a model";
  if (inputs.length !== 1) {
    throw new InvalidRequestError(
      `${needs} with exactly one input in its metadata, this one has ${inputs.length}`,
    );
  }
  const meta = inputs[0]!;
  let input: RequestInput;
  if (meta.datatype === "BYTES") {
    if (meta.shape.some((d) => d > 1)) {
      throw new InvalidRequestError(
        `${needs} whose BYTES input has one element, input '${meta.name}' has shape [${meta.shape}]`,
      );
    }
    const shape = meta.shape.map(() => 1);
    input = { name: meta.name, datatype: "BYTES", shape, data: [body] };
  } else {
    const variable = meta.shape.filter((d) => d < 0).length;
    if (variable > 1) {
      throw new InvalidRequestError(
        `${needs} whose input has at most one variable dimension, '${meta.name}' has shape [${meta.shape}]`,
      );
    }
    const size = DATATYPE_INFO[meta.datatype].size;
    const fixed = meta.shape.reduce((n, d) => (d < 0 ? n : n * d), 1);
    const count = body.byteLength / size;
    const inferred = fixed === 0 ? 0 : count / fixed;
    if (
      !Number.isInteger(count) || !Number.isInteger(inferred) || (variable === 0 && count !== fixed)
    ) {
      throw new InvalidRequestError(
        `Input '${meta.name}': a raw body of ${body.byteLength} bytes does not fill shape [${meta.shape}] of ${meta.datatype}`,
      );
    }
    const shape = meta.shape.map((d) => (d < 0 ? inferred : d));
    input = {
      name: meta.name,
      datatype: meta.datatype,
      shape,
      data: decodeRawTensor(body, { ...meta, shape }),
    };
  }
  return { inputs: [input] };
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Names of the outputs to send in binary: all of them for a raw-form
 * request; else those whose requested output says `binary_data: true`, or
 * all when the request says `binary_data_output: true` (a requested output's
 * `binary_data: false` still wins).
 */
export function binaryOutputNames(
  request: InferenceRequest,
  response: InferenceResponse,
  raw: boolean,
): ReadonlySet<string> {
  const all = raw || request.parameters?.binary_data_output === true;
  // The common JSON request asks for nothing in binary: no allocation.
  if (!all && request.outputs === undefined) return NONE;
  const names = new Set<string>();
  const asked = new Map((request.outputs ?? []).map((o) => [o.name, o.parameters?.binary_data]));
  for (const output of response.outputs) {
    const flag = asked.get(output.name);
    if (flag === true || (all && flag !== false)) names.add(output.name);
  }
  return names;
}

const utf8 = new TextEncoder();

/**
 * Writes a response with some outputs in binary: the JSON part (binary
 * outputs carry `binary_data_size` and no `data`), then their bytes in
 * output order.
 *
 * @returns the body and the length of its JSON part
 */
export function encodeBinaryResponse(
  response: InferenceResponse,
  binary: ReadonlySet<string>,
): { body: Uint8Array<ArrayBuffer>; jsonLength: number } {
  const chunks: Uint8Array[] = [];
  const json = utf8.encode(encodeJsonResponse(response, (output) => {
    if (!binary.has(output.name)) return undefined;
    const bytes = encodeRawTensor(checkedData(output));
    chunks.push(bytes);
    const parameters = { ...output.parameters, binary_data_size: bytes.byteLength };
    return `,"parameters":${jsonValue(parameters)}`;
  }));
  let size = json.byteLength;
  for (const chunk of chunks) size += chunk.byteLength;
  const body = new Uint8Array(size);
  body.set(json);
  let offset = json.byteLength;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body, jsonLength: json.byteLength };
}
