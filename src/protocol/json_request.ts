/**
 * Reads an inference request from its JSON form: the envelope is checked
 * (`envelope.ts`), then each input's data is decoded into a typed array.
 *
 * @module
 */

import type { TensorData } from "./datatypes.ts";
import { checkEnvelope, type EnvelopeInput } from "./envelope.ts";
import { decodeJsonTensor } from "./json_tensor.ts";
import type { InferenceRequest, Parameters, RequestInput } from "./types.ts";

/**
 * Supplies the data of inputs sent outside the JSON (the binary extension).
 * Returns undefined when the input carries its data in JSON.
 */
export type ExternalData = (input: EnvelopeInput, index: number) => TensorData | undefined;

/**
 * Validates and decodes a parsed JSON inference request.
 *
 * @param body the parsed JSON
 * @param external data for inputs sent in binary, when the body had any
 * @throws {InvalidRequestError} naming the first problem found
 */
export function decodeJsonRequest(body: unknown, external?: ExternalData): InferenceRequest {
  const envelope = checkEnvelope(body);
  // Indexed loops: this runs for every request and iterators cost garbage.
  const count = envelope.inputs.length;
  const inputs = new Array<RequestInput>(count);
  for (let index = 0; index < count; index++) {
    const input = envelope.inputs[index] as EnvelopeInput;
    const data = external?.(input, index) ?? decodeJsonTensor(input);
    inputs[index] = input.parameters === undefined
      ? { name: input.name, shape: input.shape, datatype: input.datatype, data }
      : {
        name: input.name,
        shape: input.shape,
        datatype: input.datatype,
        parameters: input.parameters as Parameters,
        data,
      };
  }
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
