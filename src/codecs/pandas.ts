/**
 * `pd`: a request as a columnar table, one column per input (MLServer's
 * PandasCodec, without pandas). Inputs with their own content type are
 * decoded by it first (`str` text columns, `datetime`...); `pd_json` marks a
 * column whose cells are JSON.
 *
 * @module
 */

import { CodecError } from "../errors.ts";
import {
  type BytesElement,
  type Datatype,
  datatypeOfArray,
  elementCount,
  isTypedArray,
  type TypedArray,
} from "../protocol/datatypes.ts";
import type { InferenceRequest, InferenceResponse, ResponseOutput } from "../protocol/types.ts";
import { checkedData } from "../protocol/outputs.ts";
import type { Column, InputCodec, InputDecoder, RequestCodec, Table, TensorLike } from "./codec.ts";
import { DatetimeCodec } from "./datetime.ts";
import { elementText, StringCodec } from "./string.ts";
import { isTensor } from "./tensor.ts";

function isTable(value: unknown): value is Table {
  if (typeof value !== "object" || value === null) return false;
  const { rows, columns } = value as Partial<Table>;
  return typeof rows === "number" && typeof columns === "object" && columns !== null;
}

function decodeTable(tensors: readonly TensorLike[], decodeInput: InputDecoder): Table {
  const columns: Record<string, Column> = {};
  let rows: number | undefined;
  for (const tensor of tensors) {
    const count = tensor.shape.length === 0 ? 1 : tensor.shape[0]!;
    if (rows !== undefined && count !== rows) {
      throw new CodecError(
        `Cannot decode the request as pd: input '${tensor.name}' has ${count} rows, the others ${rows}`,
      );
    }
    rows = count;
    columns[tensor.name] = decodeColumn(tensor, count, decodeInput);
  }
  return { rows: rows ?? 0, columns };
}

function decodeColumn(tensor: TensorLike, rows: number, decodeInput: InputDecoder): Column {
  const decoded = decodeInput(tensor);
  // An `np` input decodes to a tensor: its data splits into rows like an
  // input without a content type.
  if (decoded !== undefined && !isTensor(decoded)) return decoded as Column;
  const data = isTensor(decoded)
    ? decoded.data
    : checkedData(tensor, "Cannot decode the request as pd");
  const width = rows === 0 ? 0 : elementCount(tensor.shape) / rows;
  if (width <= 1) return data;
  // A multi-column input: one row of `width` values per table row.
  return Array.from(
    { length: rows },
    (_, row) =>
      isTypedArray(data)
        ? data.subarray(row * width, (row + 1) * width)
        : (data as BytesElement[]).slice(row * width, (row + 1) * width),
  );
}

/** One output per column, shape `[rows, 1]` (or `[rows, width]` for row arrays). */
function encodeColumn(name: string, column: Column, rows: number): ResponseOutput {
  const length = column.length;
  if (length !== rows) {
    throw new CodecError(
      `Cannot encode column '${name}' as pd: it has ${length} values, the table ${rows} rows`,
    );
  }
  const output = (datatype: Datatype, data: ResponseOutput["data"]): ResponseOutput => ({
    name,
    datatype,
    shape: [rows, 1],
    data,
  });
  if (isTypedArray(column)) return output(datatypeOfArray(column), column);
  const values = column as readonly unknown[];
  if (values.every((v) => typeof v === "string")) {
    return StringCodec.encode(name, values as string[]);
  }
  if (values.every((v) => v instanceof Uint8Array)) return output("BYTES", values);
  if (values.every((v) => typeof v === "boolean")) {
    return output("BOOL", Uint8Array.from(values as boolean[], Number));
  }
  if (values.every((v) => typeof v === "bigint")) {
    return output("INT64", BigInt64Array.from(values as bigint[]));
  }
  if (values.every((v) => typeof v === "number")) {
    const numbers = values as number[];
    return numbers.every(Number.isSafeInteger)
      ? output("INT64", BigInt64Array.from(numbers, BigInt))
      : output("FP64", Float64Array.from(numbers));
  }
  if (values.every((v) => v instanceof Date)) return DatetimeCodec.encode(name, values as Date[]);
  if (
    values.length > 0 &&
    values.every((v) => isTypedArray(v) && v.length === (values[0] as TypedArray).length)
  ) {
    const rowsOf = values as TypedArray[];
    const width = rowsOf[0]!.length;
    const first = rowsOf[0]!;
    const out = new (first.constructor as new (n: number) => TypedArray)(rows * width);
    rowsOf.forEach((row, i) => (out as Float64Array).set(row as Float64Array, i * width));
    return { name, datatype: datatypeOfArray(first), shape: [rows, width], data: out };
  }
  return PandasJsonCodec.encode(name, [...values]);
}

function encodeTable(table: Table): ResponseOutput[] {
  return Object.entries(table.columns).map(([name, column]) =>
    encodeColumn(name, column, table.rows)
  );
}

/**
 * `pd_json`: a column whose cells are JSON text (how `pd` writes columns of
 * objects). Registered so metadata can name it; never picked on its own.
 *
 * @example
 * ```ts
 * import { PandasJsonCodec } from "mlserver";
 * const cells = PandasJsonCodec.decode({ name: "c", datatype: "BYTES", shape: [2], data: ['{"a":1}', "[2]"] });
 * console.assert((cells[0] as { a: number }).a === 1);
 * ```
 */
export const PandasJsonCodec: InputCodec<unknown[]> = {
  contentType: "pd_json",
  canEncode: (_value: unknown): _value is unknown[] => false,
  decode(tensor) {
    const cells = checkedData(tensor, `Cannot decode '${tensor.name}' as pd_json`);
    return (cells as BytesElement[]).map((cell, index) => {
      const text = elementText(cell, tensor.name, index, "pd_json");
      try {
        return JSON.parse(text);
      } catch {
        throw new CodecError(
          `Cannot decode '${tensor.name}' as pd_json: element ${index} is not JSON`,
        );
      }
    });
  },
  encode(name, value) {
    return {
      name,
      datatype: "BYTES",
      shape: [value.length, 1],
      data: value.map((v) => JSON.stringify(v) ?? "null"),
      parameters: { content_type: "pd_json" },
    };
  },
};

/**
 * The `pd` codec: `{ rows, columns }`. Numeric columns stay typed arrays;
 * text, booleans, numbers, bigints and dates get their datatype on encode;
 * other values become `pd_json` cells.
 *
 * @example A table in, a table out
 * ```ts
 * import { PandasCodec } from "mlserver";
 * const table = PandasCodec.decodeRequest({
 *   inputs: [
 *     { name: "rooms", datatype: "INT32", shape: [2, 1], data: new Int32Array([3, 4]) },
 *     { name: "city", datatype: "BYTES", shape: [2, 1], data: ["Oslo", "Lima"], parameters: { content_type: "str" } },
 *   ],
 * }, (input) => input.data);
 * console.assert(table.rows === 2 && table.columns.city![1] === "Lima");
 * const response = PandasCodec.encodeResponse("m", { rows: 2, columns: { price: [1.5, 2.25] } });
 * console.assert(response.outputs[0]!.datatype === "FP64" && response.parameters!.content_type === "pd");
 * ```
 */
export const PandasCodec: RequestCodec<Table> = {
  contentType: "pd",
  canEncode: isTable,
  decodeRequest: (request: InferenceRequest, decodeInput) =>
    decodeTable(request.inputs, decodeInput),
  decodeResponse: (response: InferenceResponse, decodeInput) =>
    decodeTable(response.outputs, decodeInput),
  encodeResponse(modelName, table, modelVersion) {
    const response: InferenceResponse = {
      model_name: modelName,
      parameters: { content_type: "pd" },
      outputs: encodeTable(table),
    };
    if (modelVersion !== undefined) response.model_version = modelVersion;
    return response;
  },
  encodeRequest: (table) => ({
    parameters: { content_type: "pd" },
    inputs: encodeTable(table).map((output) => ({ ...output, data: checkedData(output) })),
  }),
};
