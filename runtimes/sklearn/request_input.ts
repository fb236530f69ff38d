/**
 * A decoded request as estimator input, with scikit-learn's `check_array`
 * rules: a tensor must be 2-D `[samples, features]`; numbers become
 * float64 (float32 remembered, so dtype-keeping transformers answer FP32);
 * BYTES become text columns; a `pd` table keeps its column names.
 *
 * @module
 */

import { InvalidRequestError, type Table, type Tensor } from "mlserver";
import type { Cell, Frame, Input } from "./estimator.ts";

const UTF8 = new TextDecoder();

/** An `np` tensor as a matrix (numbers) or a frame (BYTES). */
export function tensorInput(tensor: Tensor): Input {
  const { shape, data } = tensor;
  if (shape.length !== 2) {
    throw new InvalidRequestError(
      `Expected a 2-D input of shape [samples, features], got shape [${shape}]` +
        (shape.length === 1
          ? " (reshape a single feature to [N, 1], a single sample to [1, N])"
          : ""),
    );
  }
  const [rows, cols] = shape as [number, number];
  if (Array.isArray(data)) {
    const columns: Cell[][] = Array.from({ length: cols }, () => new Array<Cell>(rows));
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = data[r * cols + c]!;
        columns[c]![r] = typeof v === "string" ? v : UTF8.decode(v);
      }
    }
    return { rows, columns, names: undefined };
  }
  const values = data instanceof BigInt64Array || data instanceof BigUint64Array
    ? Float64Array.from(data, Number)
    : data instanceof Float64Array
    ? data
    : Float64Array.from(data as ArrayLike<number>);
  return { rows, cols, data: values, float32: data instanceof Float32Array };
}

/** A `pd` table as a frame, one column per input, names kept. */
export function tableInput(table: Table): Frame {
  const names = Object.keys(table.columns);
  const columns = names.map((name) => {
    const column = table.columns[name]!;
    if (column instanceof Float64Array) return column;
    if (ArrayBuffer.isView(column)) {
      return Float64Array.from(column as ArrayLike<number | bigint>, Number);
    }
    return (column as readonly unknown[]).map((cell) => tableCell(cell, name));
  });
  return { rows: table.rows, columns, names };
}

function tableCell(cell: unknown, column: string): Cell {
  if (
    cell === null || typeof cell === "number" || typeof cell === "string" ||
    typeof cell === "boolean" || typeof cell === "bigint"
  ) return cell;
  if (cell === undefined) return null;
  if (cell instanceof Uint8Array) return UTF8.decode(cell);
  throw new InvalidRequestError(`Column '${column}' holds a value that is not a scalar`);
}
