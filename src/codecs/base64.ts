/**
 * `base64`: binary elements carried as base64 text, MLServer's Base64Codec.
 * The way to send bytes that are not UTF-8 through JSON.
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import { bytesElements, elementText } from "./string.ts";
import type { InputCodec } from "./codec.ts";

/**
 * The `base64` codec: `Uint8Array[]`. Decoding is strict: an element that is
 * not valid base64 is a 400 naming it.
 *
 * @example Bytes that are not UTF-8, through JSON
 * ```ts
 * import { Base64Codec } from "mlserver";
 * const output = Base64Codec.encode("blob", [new Uint8Array([0xff, 0x00])]);
 * console.assert(output.data[0] === "/wA=");
 * const [bytes] = Base64Codec.decode({ name: "blob", datatype: "BYTES", shape: [1], data: ["/wA="] });
 * console.assert(bytes![0] === 0xff);
 * ```
 */
export const Base64Codec: InputCodec<Uint8Array[]> = {
  contentType: "base64",
  canEncode(value: unknown): value is Uint8Array[] {
    return Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Uint8Array);
  },
  decode(tensor) {
    return bytesElements(tensor, "base64").map((element, index) => {
      const text = elementText(element, tensor.name, index, "base64").trim();
      try {
        return Uint8Array.fromBase64(text);
      } catch {
        throw new CodecError(
          `Cannot decode '${tensor.name}' as base64: element ${index} is not valid base64`,
        );
      }
    });
  },
  encode(name, value) {
    return {
      name,
      datatype: "BYTES",
      shape: [value.length, 1],
      data: value.map((bytes) => bytes.toBase64()),
      parameters: { content_type: "base64" },
    };
  },
};
