/**
 * Reads an inference request from its JSON form: the envelope is checked with
 * zod, then each input's data is decoded into a typed array.
 *
 * @module
 */

import { decodeJsonTensor } from "./json_tensor.ts";
import { JsonInferenceRequestSchema, type JsonRequestInput } from "./schemas.ts";
import type { InferenceRequest, Parameters, RequestInput } from "./types.ts";
import { parseOrThrow } from "./validate.ts";
import type { TensorData } from "./datatypes.ts";

/**
 * Supplies the data of inputs sent outside the JSON (the binary extension).
 * Returns undefined when the input carries its data in JSON.
 */
export type ExternalData = (input: JsonRequestInput, index: number) => TensorData | undefined;

/**
 * Validates and decodes a parsed JSON inference request.
 *
 * @param body the parsed JSON
 * @param external data for inputs sent in binary, when the body had any
 * @throws {InvalidRequestError} naming the first problem found
 */
export function decodeJsonRequest(body: unknown, external?: ExternalData): InferenceRequest {
  const envelope = parseOrThrow(JsonInferenceRequestSchema, body, "Invalid inference request");
  const inputs = envelope.inputs.map((input, index): RequestInput => {
    const data = external?.(input, index) ?? decodeJsonTensor(input);
    const decoded: RequestInput = {
      name: input.name,
      shape: input.shape,
      datatype: input.datatype,
      data,
    };
    if (input.parameters !== undefined) decoded.parameters = input.parameters as Parameters;
    return decoded;
  });
  const request: InferenceRequest = { inputs };
  if (envelope.id !== undefined) request.id = envelope.id;
  if (envelope.parameters !== undefined) request.parameters = envelope.parameters as Parameters;
  if (envelope.outputs !== undefined) {
    request.outputs = envelope.outputs.map((output) =>
      output.parameters === undefined
        ? { name: output.name }
        : { name: output.name, parameters: output.parameters as Parameters }
    );
  }
  return request;
}
