/**
 * Scalers and the simple imputer. Scalers work in place on numpy's dtype:
 * float32 input stays float32, each operation rounded to float32 as
 * numpy's in-place `X -= mean_` does; anything else becomes float64.
 * SimpleImputer fills missing cells with `statistics_`, drops the columns
 * it could not learn a statistic for (as scikit-learn does unless
 * `keep_empty_features`), and appends the missing-indicator columns when it
 * was fitted with `add_indicator`.
 *
 * @module
 */

import { Attributes } from "./attributes.ts";
import {
  type Cell,
  checkFeatureCount,
  type Estimator,
  type FeatureSpec,
  type Frame,
  frameColumns,
  type Input,
  isFrame,
  type Matrix,
  toMatrix,
} from "./estimator.ts";
import { DType, elements } from "./ndarray.ts";
import type { PyObject } from "./py_values.ts";

type Step = { op: "sub" | "div" | "mul" | "add"; values: Float64Array };

/** Applies per-column in-place operations in the input's float width. */
function columnOps(m: Matrix, steps: Step[], clip?: [number, number]): Matrix {
  const data = Float64Array.from(m.data);
  const { rows, cols } = m;
  // One pass per operation, as numpy's in-place `X -= mean_` then `X /= scale_`.
  for (const { op, values } of steps) {
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = data[base + c]!;
        const s = values[c]!;
        data[base + c] = op === "sub" ? v - s : op === "div" ? v / s : op === "mul" ? v * s : v + s;
      }
    }
    if (m.float32) { for (let i = 0; i < data.length; i++) data[i] = Math.fround(data[i]!); }
  }
  if (clip !== undefined) {
    for (let i = 0; i < data.length; i++) data[i] = Math.min(clip[1], Math.max(clip[0], data[i]!));
  }
  return { rows, cols, data, float32: m.float32 === true };
}

function scaler(a: Attributes, steps: Step[], clip?: [number, number]): Estimator {
  const features: FeatureSpec = { ...a.features(), allowNaN: true };
  for (const step of steps) checkFeatureCount(step.values.length, features);
  return {
    pyClass: a.pyClass,
    transform: (x: Input) => columnOps(toMatrix(x, features), steps, clip),
  };
}

/** StandardScaler: `(X - mean_) / scale_`, each half only when fitted with it. */
export function standardScaler(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const steps: Step[] = [];
  if (a.boolean("with_mean", true) && a.get("mean_") !== null) {
    steps.push({ op: "sub", values: a.floats("mean_") });
  }
  if (a.boolean("with_std", true) && a.get("scale_") !== null) {
    steps.push({ op: "div", values: a.floats("scale_") });
  }
  return scaler(a, steps);
}

/** MinMaxScaler: `X * scale_ + min_`, clipped to `feature_range` when `clip`. */
export function minMaxScaler(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const range = a.list("feature_range").map(Number) as [number, number];
  return scaler(
    a,
    [{ op: "mul", values: a.floats("scale_") }, { op: "add", values: a.floats("min_") }],
    a.boolean("clip", false) ? range : undefined,
  );
}

/** MaxAbsScaler: `X / scale_`. */
export function maxAbsScaler(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  return scaler(a, [{ op: "div", values: a.floats("scale_") }]);
}

/** RobustScaler: `(X - center_) / scale_`. */
export function robustScaler(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const steps: Step[] = [];
  if (a.get("center_") !== null && a.boolean("with_centering", true)) {
    steps.push({ op: "sub", values: a.floats("center_") });
  }
  if (a.get("scale_") !== null && a.boolean("with_scaling", true)) {
    steps.push({ op: "div", values: a.floats("scale_") });
  }
  return scaler(a, steps);
}

/** Whether a cell is the imputer's `missing_values` (NaN also matches None, as requests send it). */
function isMissing(value: Cell | number, missing: unknown): boolean {
  if (typeof missing === "number" && Number.isNaN(missing)) {
    return value === null || (typeof value === "number" && Number.isNaN(value));
  }
  if (missing === null) return value === null;
  return value === missing;
}

/** SimpleImputer (every strategy: the statistic is already fitted). */
export function simpleImputer(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const statisticsArray = a.array("statistics_");
  const statistics = elements(statisticsArray) as Cell[];
  const strategy = a.string("strategy");
  const missing = a.get("missing_values");
  const keepAll = strategy === "constant" || a.boolean("keep_empty_features", false);
  const isEmpty = (s: Cell) => s === null || (typeof s === "number" && Number.isNaN(s));
  const kept = statistics.map((_, i) => i).filter((i) => keepAll || !isEmpty(statistics[i]!));
  const indicator = a.get("indicator_");
  const indicatorFeatures = indicator !== null && indicator !== undefined
    ? Array.from(new Attributes(indicator as PyObject).floats("features_"), Number)
    : undefined;
  const fitDtype = a.get("_fit_dtype");
  const objectFit = fitDtype instanceof DType && fitDtype.kind === "O";
  const numericOutput = statisticsArray.dtype.kind !== "O" && !objectFit;
  const spec: FeatureSpec = { ...a.features(), count: statistics.length, allowNaN: true };

  return {
    pyClass: a.pyClass,
    transform(x: Input): Input {
      if (numericOutput && (!isFrame(x) || x.columns.every((c) => c instanceof Float64Array))) {
        const m = toMatrix(x, spec);
        // float32 input stays float32 (the statistic is cast to it); the rest is float64.
        const round = m.float32 ? Math.fround : (v: number) => v;
        const width = kept.length + (indicatorFeatures?.length ?? 0);
        const data = new Float64Array(m.rows * width);
        for (let r = 0; r < m.rows; r++) {
          kept.forEach((c, k) => {
            const v = m.data[r * m.cols + c]!;
            data[r * width + k] = isMissing(v, missing) ? round(statistics[c] as number) : v;
          });
          indicatorFeatures?.forEach((c, k) => {
            data[r * width + kept.length + k] = isMissing(m.data[r * m.cols + c]!, missing) ? 1 : 0;
          });
        }
        return { rows: m.rows, cols: width, data, float32: m.float32 === true };
      }
      const columns = frameColumns(x, spec);
      const rows = x.rows;
      const out: (Float64Array | Cell[])[] = kept.map((c) =>
        Array.from({ length: rows }, (_, r) => {
          const v = columns[c]![r] ?? null;
          return isMissing(v, missing) ? statistics[c]! : v;
        })
      );
      for (const c of indicatorFeatures ?? []) {
        out.push(
          Float64Array.from(
            { length: rows },
            (_, r) => isMissing(columns[c]![r] ?? null, missing) ? 1 : 0,
          ),
        );
      }
      const frame: Frame = { rows, columns: out, names: undefined };
      return frame;
    },
  };
}

/** MissingIndicator on its own: 0/1 columns for `features_`. */
export function missingIndicator(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const features = Array.from(a.floats("features_"), Number);
  const missing = a.get("missing_values");
  const spec: FeatureSpec = { ...a.features(), allowNaN: true };
  return {
    pyClass: a.pyClass,
    transform(x) {
      const columns = frameColumns(x, spec);
      const rows = x.rows;
      const data = new Float64Array(rows * features.length);
      for (let r = 0; r < rows; r++) {
        features.forEach((
          c,
          k,
        ) => (data[r * features.length + k] = isMissing(columns[c]![r] ?? null, missing) ? 1 : 0));
      }
      return { rows, cols: features.length, data, bool: true };
    },
  };
}

export const PREPROCESSING = {
  StandardScaler: standardScaler,
  MinMaxScaler: minMaxScaler,
  MaxAbsScaler: maxAbsScaler,
  RobustScaler: robustScaler,
  SimpleImputer: simpleImputer,
  MissingIndicator: missingIndicator,
};
