/**
 * `datetime`: ISO 8601 text as `Date`s, MLServer's DatetimeCodec.
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import { describe } from "../protocol/json_tensor.ts";
import { bytesElements, elementText } from "./string.ts";
import type { InputCodec } from "./codec.ts";

const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The `datetime` codec: `Date[]`. A time without an offset is read as UTC
 * (JavaScript would otherwise use the server's local zone); encoding writes
 * `toISOString()`.
 *
 * @example Dates in and out
 * ```ts
 * import { DatetimeCodec } from "mlserver";
 * const [when] = DatetimeCodec.decode({ name: "at", datatype: "BYTES", shape: [1], data: ["2024-02-29T12:00:00"] });
 * console.assert(when!.toISOString() === "2024-02-29T12:00:00.000Z");
 * console.assert(DatetimeCodec.encode("at", [new Date(0)]).data[0] === "1970-01-01T00:00:00.000Z");
 * ```
 */
export const DatetimeCodec: InputCodec<Date[]> = {
  contentType: "datetime",
  canEncode(value: unknown): value is Date[] {
    return Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Date);
  },
  decode(tensor) {
    return bytesElements(tensor, "datetime").map((element, index) => {
      const text = elementText(element, tensor.name, index, "datetime").trim();
      const match = ISO_8601.exec(text);
      const date = match === null ? undefined : new Date(
        text.includes(":") && match[1] === undefined ? `${text.replace(" ", "T")}Z` : text,
      );
      if (date === undefined || Number.isNaN(date.getTime())) {
        throw new CodecError(
          // An element may be megabytes long: describe() quotes its start.
          `Cannot decode '${tensor.name}' as datetime: element ${index} (${
            describe(text)
          }) is not an ISO 8601 date`,
        );
      }
      return date;
    });
  },
  encode(name, value) {
    const data = value.map((date, index) => {
      if (Number.isNaN(date.getTime())) {
        throw new CodecError(
          `Cannot encode '${name}' as datetime: element ${index} is an invalid Date`,
        );
      }
      return date.toISOString();
    });
    return {
      name,
      datatype: "BYTES",
      shape: [value.length, 1],
      data,
      parameters: { content_type: "datetime" },
    };
  },
};
