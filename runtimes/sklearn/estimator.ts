/**
 * What every rebuilt scikit-learn estimator offers, and the data it works
 * on: numeric matrices (row-major float64, NaN for a missing value) and
 * mixed-type frames (a `pd` request, a BYTES tensor) for the transformers
 * that take text. Inputs are checked the way scikit-learn checks them
 * (feature count, feature names) before anything is computed.
 *
 * @module
 */

import { InvalidRequestError, type Tensor } from "mlserver";
import { elements, type NdArray } from "./ndarray.ts";

/**
 * Numbers, row-major. `float32` says the values came as (or were computed
 * in) float32, so transformers that keep numpy's dtype answer FP32 as
 * scikit-learn would.
 */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
  float32?: boolean;
  /** The values are numpy booleans (MissingIndicator), encoded as BOOL. */
  bool?: boolean;
}

/** A cell of a mixed-type column. */
export type Cell = number | string | boolean | bigint | null;

/** Columns of any type, with names when the request had them (`pd`). */
export interface Frame {
  rows: number;
  columns: (Float64Array | readonly Cell[])[];
  names: string[] | undefined;
}

/** What estimators take. */
export type Input = Matrix | Frame;

/** What a rebuilt estimator can do; methods it lacks are what scikit-learn lacks. */
export interface Estimator {
  /** The pickled class, `module.Name`, as messages name it. */
  readonly pyClass: string;
  /** `predict`: labels (classifiers) or values (regressors), shaped as numpy's answer. */
  predict?(x: Input): Tensor;
  /** `predict_proba`: one column per class. */
  predictProba?(x: Input): Matrix;
  /** `transform`: numbers, or a frame when text comes out (an imputer on text columns). */
  transform?(x: Input): Input;
  /** A pipeline's final step: what MLServer checks for `predict_proba`. */
  readonly lastStep?: Estimator;
}

/** Whether an input is a frame. */
export function isFrame(x: Input): x is Frame {
  return "columns" in x;
}

/** The feature checks of scikit-learn's `_validate_data(reset=False)`. */
export interface FeatureSpec {
  /** The estimator's short class name, for messages. */
  name: string;
  /** `n_features_in_` (or the older `n_features_`), when known. */
  count: number | undefined;
  /** `feature_names_in_`, when the model was fitted on named columns. */
  names: string[] | undefined;
  /** Whether NaN is a missing value the estimator handles (else a 400, as scikit-learn refuses it). */
  allowNaN?: boolean;
}

/** A frame's columns ordered by the model's feature names (a missing name is a 400). */
export function orderedColumns(
  frame: Frame,
  spec: FeatureSpec,
): (Float64Array | readonly Cell[])[] {
  if (spec.names === undefined || frame.names === undefined) return frame.columns;
  const byName = new Map(frame.names.map((n, i) => [n, frame.columns[i]!]));
  const missing = spec.names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw new InvalidRequestError(
      `${spec.name} was fitted with feature names ${spec.names.join(", ")}; ` +
        `the request has no column ${missing.join(", ")}`,
    );
  }
  return spec.names.map((n) => byName.get(n)!);
}

/** Checks the number of features as scikit-learn does. */
export function checkFeatureCount(cols: number, spec: FeatureSpec): void {
  if (spec.count !== undefined && cols !== spec.count) {
    throw new InvalidRequestError(
      `X has ${cols} features, but ${spec.name} is expecting ${spec.count} features as input`,
    );
  }
}

/** Any input as a numeric matrix (scikit-learn's `check_array` with a numeric dtype). */
export function toMatrix(x: Input, spec: FeatureSpec): Matrix {
  if (!isFrame(x)) {
    checkFeatureCount(x.cols, spec);
    return checkFinite(x, spec);
  }
  const columns = orderedColumns(x, spec);
  checkFeatureCount(columns.length, spec);
  const cols = columns.length;
  const data = new Float64Array(x.rows * cols);
  columns.forEach((column, c) => {
    for (let r = 0; r < x.rows; r++) data[r * cols + c] = numericCell(column[r] ?? null, spec.name);
  });
  return checkFinite({ rows: x.rows, cols, data }, spec);
}

/** scikit-learn's `force_all_finite`: infinity is always refused, NaN unless the estimator handles it. */
export function checkFinite(m: Matrix, spec: FeatureSpec): Matrix {
  const data = m.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is 0 for finite numbers and NaN for NaN and infinities.
    if (v - v === 0) continue;
    if (v !== v && spec.allowNaN) continue;
    throw new InvalidRequestError(
      Number.isNaN(v)
        ? `Input X contains NaN; ${spec.name} does not accept missing values`
        : `Input X contains infinity or a value too large for dtype('float64')`,
    );
  }
  return m;
}

function numericCell(value: Cell, name: string): number {
  if (typeof value === "number") return value;
  if (value === null) return NaN;
  if (typeof value === "bigint" || typeof value === "boolean") return Number(value);
  const parsed = Number(value.trim());
  if (value.trim() === "" || Number.isNaN(parsed) && value.trim().toLowerCase() !== "nan") {
    throw new InvalidRequestError(`${name} expects numeric features; could not convert '${value}'`);
  }
  return parsed;
}

/** The rows of a frame as cells (for transformers that take text). */
export function frameColumns(x: Input, spec: FeatureSpec): (Float64Array | readonly Cell[])[] {
  if (isFrame(x)) {
    const columns = orderedColumns(x, spec);
    checkFeatureCount(columns.length, spec);
    return columns;
  }
  checkFeatureCount(x.cols, spec);
  return Array.from({ length: x.cols }, (_, c) => {
    const column = new Float64Array(x.rows);
    for (let r = 0; r < x.rows; r++) column[r] = x.data[r * x.cols + c]!;
    return column;
  });
}

/**
 * `classes_.take(index)` as a numpy array would be encoded: INT64 for
 * int64 labels, FP64 for floats, BOOL for booleans, BYTES for strings and
 * objects; shape `[N, 1]` (MLServer adds the second dimension).
 */
export function labelsTensor(classes: NdArray, index: ArrayLike<number>): Tensor {
  const values = elements(classes);
  const n = index.length;
  const shape = [n, 1];
  const { kind, itemsize } = classes.dtype;
  const pick = (i: number) => values[index[i]!];
  if (kind === "i" || kind === "u") {
    if (itemsize === 8) {
      const data = kind === "i" ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) data[i] = BigInt(pick(i) as number | bigint);
      return { data, shape, datatype: kind === "i" ? "INT64" : "UINT64" };
    }
    const types = {
      i1: [Int8Array, "INT8"],
      i2: [Int16Array, "INT16"],
      i4: [Int32Array, "INT32"],
      u1: [Uint8Array, "UINT8"],
      u2: [Uint16Array, "UINT16"],
      u4: [Uint32Array, "UINT32"],
    } as const;
    const [Ctor, datatype] = types[`${kind}${itemsize}` as keyof typeof types];
    const data = new Ctor(n);
    for (let i = 0; i < n; i++) data[i] = pick(i) as number;
    return { data, shape, datatype };
  }
  if (kind === "f") {
    const data = itemsize === 4 ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = pick(i) as number;
    return { data, shape, datatype: itemsize === 4 ? "FP32" : "FP64" };
  }
  if (kind === "b") {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = pick(i) ? 1 : 0;
    return { data, shape, datatype: "BOOL" };
  }
  return { data: Array.from({ length: n }, (_, i) => String(pick(i))), shape, datatype: "BYTES" };
}

/** A float64 column vector as numpy's 1-D answer is encoded: `[N, 1]` FP64. */
export function valuesTensor(values: Float64Array): Tensor {
  return { data: values, shape: [values.length, 1], datatype: "FP64" };
}

/** Index of the largest value in each row (first on ties, as numpy's argmax). */
export function argmaxRows(m: Matrix): Int32Array {
  const out = new Int32Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let best = 0;
    const base = r * m.cols;
    for (let c = 1; c < m.cols; c++) if (m.data[base + c]! > m.data[base + best]!) best = c;
    out[r] = best;
  }
  return out;
}
