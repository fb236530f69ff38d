/**
 * Writes responses as JSON text, built as one string: the envelope by hand,
 * tensor data per datatype (see `jsonData` for which form is fastest for
 * which), parameters through `JSON.stringify` (bigints as exact numbers).
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import type { BytesElement, TensorData, TypedArray } from "./datatypes.ts";
import { checkedData } from "./outputs.ts";
import type { InferenceResponse, ResponseOutput } from "./types.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Serialises a response. Outputs listed in `binaryOutputs` are skipped here:
 * the binary extension writes them after the JSON part.
 *
 * @param response what the runtime returned, with `parameters.headers` removed
 * @param render per-output hook: return a JSON fragment to use instead of `data`
 */
export function encodeJsonResponse(
  response: InferenceResponse,
  render?: (output: ResponseOutput, index: number) => string | undefined,
): string {
  let text = `{"model_name":${JSON.stringify(response.model_name)}`;
  if (response.model_version !== undefined && response.model_version !== null) {
    text += `,"model_version":${JSON.stringify(response.model_version)}`;
  }
  if (response.id !== undefined && response.id !== null) {
    text += `,"id":${JSON.stringify(response.id)}`;
  }
  if (response.parameters !== undefined && response.parameters !== null) {
    text += `,"parameters":${jsonValue(response.parameters)}`;
  }
  text += `,"outputs":[`;
  const outputs = response.outputs;
  for (let index = 0; index < outputs.length; index++) {
    const output = outputs[index] as ResponseOutput;
    if (index > 0) text += ",";
    text += `{"name":${JSON.stringify(output.name)},"shape":[${output.shape.join(",")}]`;
    text += `,"datatype":"${output.datatype}"`;
    const custom = render?.(output, index);
    if (custom !== undefined) {
      text += custom + "}";
      continue;
    }
    if (output.parameters !== undefined && output.parameters !== null) {
      text += `,"parameters":${jsonValue(output.parameters)}`;
    }
    text += `,"data":${jsonData(checkedData(output), output.name, output.datatype === "BOOL")}}`;
  }
  return text + "]}";
}

/**
 * `JSON.stringify` that writes bigints as exact JSON numbers (a 64-bit
 * parameter a runtime returns, or one a request sent past 2^53) instead of
 * throwing. The replacer runs only when the plain call found a bigint.
 */
export function jsonValue(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(value, exactBigints);
  }
}

/** `JSON.rawJSON` (in V8 since 11.4; TypeScript's lib does not declare it yet). */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function exactBigints(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? rawJSON(String(value)) : value;
}

/**
 * JSON text of decoded tensor data. Non-finite floats become `null` (JSON has
 * no NaN or Infinity; the binary extension and gRPC keep them exact).
 *
 * Measured on 100,000 FP32 values: copying into a plain array and calling
 * `JSON.stringify` takes half the time of `Float32Array.prototype.join`, and
 * writes NaN and infinities as null by itself; for integers `join` is faster,
 * and for 64-bit integers it is the only exact way.
 */
export function jsonData(data: TensorData, name: string, isBool = false): string {
  if (Array.isArray(data)) return jsonBytes(data, name);
  const typed = data as TypedArray;
  if (isBool) {
    const values = new Array<boolean>(typed.length);
    for (let i = 0; i < typed.length; i++) values[i] = typed[i] !== 0;
    return JSON.stringify(values);
  }
  if (
    typed instanceof Float32Array || typed instanceof Float64Array || typed instanceof Float16Array
  ) {
    const values: number[] = [];
    for (let i = 0; i < typed.length; i++) values.push(typed[i] as number);
    return JSON.stringify(values);
  }
  return `[${typed.join(",")}]`;
}

function jsonBytes(data: readonly BytesElement[], name: string): string {
  if (data.every((item) => typeof item === "string")) return JSON.stringify(data);
  return JSON.stringify(data.map((item, index) => {
    if (typeof item === "string") return item;
    try {
      return utf8.decode(item);
    } catch {
      throw new CodecError(
        `Cannot write output '${name}' as JSON: element ${index} is not valid UTF-8; ` +
          `ask for it with the binary_data parameter or use the base64 content type`,
      );
    }
  }));
}
