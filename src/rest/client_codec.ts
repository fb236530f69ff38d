/**
 * Inference bodies on the client's side of REST, the mirror of
 * `inference.ts` and `binary.ts`: requests written as JSON, or as JSON
 * followed by the inputs' bytes (Triton's binary tensor extension, asking
 * for binary outputs too); responses read back into typed arrays with the
 * server's own decoders (`protocol/json_tensor.ts`, `protocol/raw_tensor.ts`).
 *
 * @module
 */

import { CodecError, InferenceClientError, InvalidRequestError } from "../errors.ts";
import { DecodeBudget } from "../protocol/budget.ts";
import { isDatatype, type TensorData } from "../protocol/datatypes.ts";
import { jsonData } from "../protocol/json_response.ts";
import { decodeJsonTensor } from "../protocol/json_tensor.ts";
import { decodeRawTensor, encodeRawTensor } from "../protocol/raw_tensor.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  Parameters,
  RequestInput,
  ResponseOutput,
} from "../protocol/types.ts";
import { parseJson } from "./body.ts";

const utf8 = new TextEncoder();
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Writes a request. With `binary`, every input's bytes follow the JSON part
 * (`binary_data_size` in its parameters) and the server is asked for every
 * output in binary (`binary_data_output`).
 *
 * @returns the body and, in binary, the length of its JSON part
 */
export function encodeRestRequest(
  request: InferenceRequest,
  binary: boolean,
): { body: Uint8Array<ArrayBuffer>; jsonLength?: number } {
  const chunks: Uint8Array[] = [];
  let text = "{";
  if (request.id !== undefined && request.id !== null) {
    text += `"id":${JSON.stringify(request.id)},`;
  }
  const parameters = binary
    ? { ...request.parameters, binary_data_output: true }
    : request.parameters;
  if (parameters !== undefined && parameters !== null) {
    text += `"parameters":${JSON.stringify(parameters)},`;
  }
  text += `"inputs":[`;
  request.inputs.forEach((input, index) => {
    if (index > 0) text += ",";
    text += `{"name":${JSON.stringify(input.name)},"shape":[${input.shape.join(",")}]`;
    text += `,"datatype":"${input.datatype}"`;
    if (binary) {
      const bytes = encodeRawTensor(input.data);
      chunks.push(bytes);
      text += `,"parameters":${
        JSON.stringify({ ...input.parameters, binary_data_size: bytes.byteLength })
      }}`;
      return;
    }
    if (input.parameters !== undefined && input.parameters !== null) {
      text += `,"parameters":${JSON.stringify(input.parameters)}`;
    }
    text += `,"data":${inputJson(input)}}`;
  });
  text += "]";
  if (request.outputs !== undefined) text += `,"outputs":${JSON.stringify(request.outputs)}`;
  const json = utf8.encode(text + "}");
  if (!binary) return { body: json };
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

/** JSON text of an input's data; non-finite floats as the strings the server reads exactly. */
function inputJson(input: RequestInput): string {
  const data = input.data;
  if (
    (data instanceof Float32Array || data instanceof Float64Array ||
      data instanceof Float16Array) && !data.every(Number.isFinite)
  ) {
    return JSON.stringify(Array.from(data, (v) => Number.isFinite(v) ? v : String(v)));
  }
  if (
    (data instanceof BigInt64Array || data instanceof BigUint64Array) &&
    data.some((v: bigint) => v > SAFE || v < -SAFE)
  ) {
    // The server reads JSON numbers as doubles: strings keep every digit.
    return `[${
      Array.from(data as BigInt64Array, (v) => v > SAFE || v < -SAFE ? `"${v}"` : `${v}`)
    }]`;
  }
  try {
    return jsonData(data as TensorData, input.name, input.datatype === "BOOL");
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    throw new TypeError(
      `Cannot send input '${input.name}' as JSON: an element is not valid UTF-8 ` +
        `(send the request in binary)`,
    );
  }
}

/** Parses a JSON answer; bytes that are not JSON are a malformed response. */
export function parseResponseJson(bytes: Uint8Array): unknown {
  try {
    return parseJson(bytes);
  } catch (err) {
    throw malformed((err as Error).message);
  }
}

/**
 * Reads a response: JSON, or (with the `Inference-Header-Content-Length`
 * header) a JSON part followed by the bytes of the outputs that carry
 * `binary_data_size`. Tensor data comes back as typed arrays; BYTES as
 * strings from JSON, `Uint8Array`s from binary.
 *
 * @throws {InferenceClientError} for a malformed response
 */
export function decodeRestResponse(
  bytes: Uint8Array,
  headerLength: string | null,
): InferenceResponse {
  const jsonLength = headerLength === null ? bytes.byteLength : Number(headerLength);
  if (!Number.isSafeInteger(jsonLength) || jsonLength < 0 || jsonLength > bytes.byteLength) {
    throw malformed(
      `Inference-Header-Content-Length is ${headerLength}, the body has ${bytes.byteLength} bytes`,
    );
  }
  const json = bytes.subarray(0, jsonLength);
  const body = parseResponseJson(json) as Record<string, unknown>;
  if (
    typeof body !== "object" || body === null || typeof body.model_name !== "string" ||
    !Array.isArray(body.outputs)
  ) {
    throw malformed("expected an object with model_name and outputs");
  }
  exactIntegers(json, body.outputs);
  const binary = bytes.subarray(jsonLength);
  // One budget for the whole body, as the server's decoder has for a request.
  const budget = new DecodeBudget(bytes.byteLength);
  let offset = 0;
  try {
    const outputs = body.outputs.map((value: unknown): ResponseOutput => {
      const output = value as ResponseOutput & { parameters?: Parameters };
      if (
        typeof output?.name !== "string" || typeof output.datatype !== "string" ||
        !isDatatype(output.datatype) || !Array.isArray(output.shape)
      ) {
        throw malformed("an output lacks name, datatype or shape");
      }
      const what = `Output '${output.name}'`;
      const size = output.parameters?.binary_data_size;
      let data: TensorData;
      let parameters = output.parameters;
      if (typeof size === "number") {
        if (offset + size > binary.byteLength) {
          throw malformed(`${what} claims ${size} bytes, ${binary.byteLength - offset} remain`);
        }
        data = decodeRawTensor(binary.subarray(offset, offset + size), output, {
          label: what,
          budget,
        });
        offset += size;
        // The size described the transfer, not the tensor (as MLServer's client drops it).
        const { binary_data_size: _, ...rest } = output.parameters!;
        parameters = Object.keys(rest).length === 0 ? undefined : rest;
      } else {
        data = decodeJsonTensor(output, what);
      }
      const decoded: ResponseOutput = {
        name: output.name,
        shape: output.shape,
        datatype: output.datatype,
        data,
      };
      if (parameters !== undefined && parameters !== null) decoded.parameters = parameters;
      return decoded;
    });
    const response: InferenceResponse = { model_name: body.model_name, outputs };
    if (typeof body.model_version === "string") response.model_version = body.model_version;
    if (typeof body.id === "string") response.id = body.id;
    if (typeof body.parameters === "object" && body.parameters !== null) {
      response.parameters = body.parameters as Parameters;
    }
    return response;
  } catch (err) {
    if (err instanceof InvalidRequestError) throw malformed(err.message);
    throw err;
  }
}

/**
 * 64-bit integers past 2^53 lose digits in `JSON.parse`: for INT64 and UINT64
 * outputs that have some, the text is read again keeping their digits (as
 * strings, which the tensor decoder reads exactly). The common case pays one
 * scan of the parsed values.
 */
function exactIntegers(json: Uint8Array, outputs: unknown[]): void {
  const inexact = outputs.flatMap((output, index) => {
    const { datatype, data } = output as { datatype?: unknown; data?: unknown };
    return (datatype === "INT64" || datatype === "UINT64") && hasUnsafeInteger(data) ? [index] : [];
  });
  if (inexact.length === 0) return;
  const exact = JSON.parse(
    new TextDecoder().decode(json),
    (_key, value, context?: { source?: string }) =>
      typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)
        ? context?.source ?? value
        : value,
  ) as { outputs: { data: unknown }[] };
  for (const index of inexact) {
    (outputs[index] as { data: unknown }).data = exact.outputs[index]!.data;
  }
}

function hasUnsafeInteger(data: unknown): boolean {
  if (Array.isArray(data)) return data.some(hasUnsafeInteger);
  return typeof data === "number" && Number.isInteger(data) && !Number.isSafeInteger(data);
}

function malformed(detail: string): InferenceClientError {
  return new InferenceClientError(`Malformed response: ${detail}`);
}
