/**
 * `str`: a BYTES tensor as a list of strings (UTF-8), MLServer's StringCodec.
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import type { BytesElement } from "../protocol/datatypes.ts";
import type { InputCodec, TensorLike } from "./codec.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The elements of a BYTES tensor, checked. */
export function bytesElements(tensor: TensorLike, contentType: string): BytesElement[] {
  if (tensor.datatype !== "BYTES") {
    throw new CodecError(
      `Cannot decode '${tensor.name}' as ${contentType}: it is ${tensor.datatype}, not BYTES`,
    );
  }
  const data = tensor.data as readonly unknown[];
  // Request inputs are already flat; only nested lists a runtime built need flattening.
  return (data.some(Array.isArray) ? data.flat(Infinity) : data) as BytesElement[];
}

/** One element as text: strings as they are, bytes as UTF-8. */
export function elementText(
  element: unknown,
  name: string,
  index: number,
  contentType: string,
): string {
  if (typeof element === "string") return element;
  if (element instanceof Uint8Array) {
    try {
      return utf8.decode(element);
    } catch {
      throw new CodecError(
        `Cannot decode '${name}' as ${contentType}: element ${index} is not valid UTF-8`,
      );
    }
  }
  throw new CodecError(`Cannot decode '${name}' as ${contentType}: element ${index} is not text`);
}

/**
 * The `str` codec: `string[]`. Encodes as BYTES with shape `[N, 1]`.
 *
 * @example Strings in and out
 * ```ts
 * import { StringCodec } from "mlserver";
 * const texts = StringCodec.decode({ name: "t", datatype: "BYTES", shape: [2], data: ["a", new TextEncoder().encode("é")] });
 * console.assert(texts[1] === "é");
 * console.assert(StringCodec.encode("out", ["x"]).shape.join() === "1,1");
 * ```
 */
export const StringCodec: InputCodec<string[]> = {
  contentType: "str",
  canEncode(value: unknown): value is string[] {
    return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string");
  },
  decode(tensor) {
    return bytesElements(tensor, "str").map((element, index) =>
      elementText(element, tensor.name, index, "str")
    );
  },
  encode(name, value) {
    return {
      name,
      datatype: "BYTES",
      shape: [value.length, 1],
      data: [...value],
      parameters: { content_type: "str" },
    };
  },
};
