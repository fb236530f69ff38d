/**
 * Request-level `np` and `str`: a request with one input as one value, and a
 * value as a response with one output named `output-1` (MLServer's
 * NumpyRequestCodec and StringRequestCodec).
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import type { TensorData } from "../protocol/datatypes.ts";
import type { InferenceRequest, InferenceResponse } from "../protocol/types.ts";
import type { InputCodec, InputDecoder, RequestCodec, Tensor, TensorLike } from "./codec.ts";
import { NumpyCodec } from "./tensor.ts";
import { StringCodec } from "./string.ts";

/** Name of the single output a request codec writes. */
export const DEFAULT_OUTPUT_NAME = "output-1";

function singleInput(
  request: InferenceRequest | InferenceResponse,
  contentType: string,
): TensorLike {
  const tensors = "inputs" in request ? request.inputs : request.outputs;
  if (tensors.length !== 1) {
    throw new CodecError(
      `Cannot decode the request as ${contentType}: it needs exactly one input, got ${tensors.length}`,
    );
  }
  return tensors[0]!;
}

function singleTensorCodec<T>(codec: InputCodec<T>): RequestCodec<T> {
  const contentType = codec.contentType;
  return {
    contentType,
    canEncode: (value: unknown): value is T => codec.canEncode(value),
    decodeRequest: (request) => codec.decode(singleInput(request, contentType)),
    decodeResponse: (response) => codec.decode(singleInput(response, contentType)),
    encodeResponse(modelName, value, modelVersion) {
      const response: InferenceResponse = {
        model_name: modelName,
        parameters: { content_type: contentType },
        outputs: [codec.encode(DEFAULT_OUTPUT_NAME, value)],
      };
      if (modelVersion !== undefined) response.model_version = modelVersion;
      return response;
    },
    encodeRequest: (value) => ({
      parameters: { content_type: contentType },
      inputs: [codec.encode(DEFAULT_OUTPUT_NAME, value)],
    }),
  };
}

/**
 * Request-level `np`: the only input as a `Tensor`; a tensor as `output-1`.
 *
 * @example Decode a one-input request
 * ```ts
 * import { NumpyRequestCodec } from "mlserver";
 * const tensor = NumpyRequestCodec.decodeRequest(
 *   { inputs: [{ name: "x", datatype: "INT32", shape: [2], data: new Int32Array([4, 5]) }] },
 *   () => undefined,
 * );
 * console.assert(tensor.data[0] === 4);
 * ```
 */
export const NumpyRequestCodec: NumpyRequestCodecType = singleTensorCodec(
  NumpyCodec,
) as NumpyRequestCodecType;

/** The request-level `np` codec's type: it decodes to `Tensor`. */
export interface NumpyRequestCodecType extends RequestCodec<Tensor | TensorData> {
  decodeRequest(request: InferenceRequest, decodeInput: InputDecoder): Tensor;
  decodeResponse(response: InferenceResponse, decodeInput: InputDecoder): Tensor;
}

/**
 * Request-level `str`: the only input as `string[]`; strings as `output-1`.
 *
 * @example Encode a response of strings
 * ```ts
 * import { StringRequestCodec } from "mlserver";
 * const response = StringRequestCodec.encodeResponse("m", ["yes", "no"]);
 * console.assert(response.outputs[0]!.name === "output-1" && response.parameters!.content_type === "str");
 * ```
 */
export const StringRequestCodec: RequestCodec<string[]> = singleTensorCodec(StringCodec);
