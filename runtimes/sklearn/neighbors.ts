/**
 * KNeighborsClassifier and KNeighborsRegressor, by exhaustive search over
 * the fitted `_fit_X` (a KD-tree or ball tree finds the same neighbors; its
 * pickled structure is kept as data and not used). Distances follow the
 * fitted search: the exact per-feature sums of the trees, or, for brute
 * force Euclidean search, scikit-learn's `|x|² - 2x·y + |y|²` form.
 * Weights are uniform or `1 / distance` (a zero distance takes all the
 * weight), votes tie to the smaller class, as `scipy.stats.mode` and
 * `weighted_mode` do.
 *
 * @module
 */

import { Attributes, ModelFormatError } from "./attributes.ts";
import {
  type Estimator,
  type FeatureSpec,
  type Input,
  labelsTensor,
  type Matrix,
  toMatrix,
} from "./estimator.ts";
import type { PyObject } from "./py_values.ts";

type Metric = "euclidean" | "manhattan" | "chebyshev" | "minkowski";

interface Index {
  fitX: Float64Array;
  samples: number;
  features: number;
  k: number;
  metric: Metric;
  p: number;
  /** Brute-force Euclidean: distances by the dot-product expansion. */
  expanded: boolean;
  norms: Float64Array;
  distanceWeights: boolean;
}

function readIndex(a: Attributes): Index {
  const fit = a.array("_fit_X");
  const [samples, features] = fit.shape as [number, number];
  const fitX = a.floats("_fit_X");
  const weights = a.string("weights");
  if (weights !== "uniform" && weights !== "distance") {
    throw new ModelFormatError(`${a.name}: weights '${weights}' (a callable) is not supported`);
  }
  const params = a.get("effective_metric_params_");
  let p = a.optionalNumber("p", 2);
  if (params instanceof Map && typeof params.get("p") === "number") p = params.get("p") as number;
  let metric = a.string("effective_metric_") as Metric;
  if (metric === "minkowski" && p === 2) metric = "euclidean";
  if (metric === "minkowski" && p === 1) metric = "manhattan";
  if (!["euclidean", "manhattan", "chebyshev", "minkowski"].includes(metric)) {
    throw new ModelFormatError(`${a.name}: metric '${metric}' is not supported`);
  }
  const method = a.optionalString("_fit_method", "brute");
  const norms = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let f = 0; f < features; f++) sum += fitX[s * features + f]! ** 2;
    norms[s] = sum;
  }
  return {
    fitX,
    samples,
    features,
    k: a.number("n_neighbors"),
    metric,
    p,
    expanded: method === "brute" && metric === "euclidean",
    norms,
    distanceWeights: weights === "distance",
  };
}

type Accumulate = (
  x: Float64Array,
  xAt: number,
  y: Float64Array,
  yAt: number,
  n: number,
  p: number,
) => number;

/** The "reduced" distance of each metric (the trees' rdist: no final root). */
const ACCUMULATE: Record<Metric, Accumulate> = {
  euclidean(x, xAt, y, yAt, n) {
    let acc = 0;
    for (let f = 0; f < n; f++) {
      const d = x[xAt + f]! - y[yAt + f]!;
      acc += d * d;
    }
    return acc;
  },
  manhattan(x, xAt, y, yAt, n) {
    let acc = 0;
    for (let f = 0; f < n; f++) acc += Math.abs(x[xAt + f]! - y[yAt + f]!);
    return acc;
  },
  chebyshev(x, xAt, y, yAt, n) {
    let acc = 0;
    for (let f = 0; f < n; f++) acc = Math.max(acc, Math.abs(x[xAt + f]! - y[yAt + f]!));
    return acc;
  },
  minkowski(x, xAt, y, yAt, n, p) {
    let acc = 0;
    for (let f = 0; f < n; f++) acc += Math.abs(x[xAt + f]! - y[yAt + f]!) ** p;
    return acc;
  },
};

/** The k nearest fitted samples of one row, nearest first, with their distances. */
function kneighbors(index: Index, x: Float64Array, offset: number) {
  const { fitX, samples, features, metric, p } = index;
  const reduced = new Float64Array(samples);
  if (index.expanded) {
    let xNorm = 0;
    for (let f = 0; f < features; f++) xNorm += x[offset + f]! ** 2;
    for (let s = 0, base = 0; s < samples; s++, base += features) {
      let dot = 0;
      for (let f = 0; f < features; f++) dot += x[offset + f]! * fitX[base + f]!;
      reduced[s] = xNorm + -2 * dot + index.norms[s]!;
    }
  } else {
    // One loop per metric keeps the inner loop free of branches.
    const accumulate = ACCUMULATE[metric];
    for (let s = 0; s < samples; s++) {
      reduced[s] = accumulate(x, offset, fitX, s * features, features, p);
    }
  }
  // The k smallest by insertion (k is small), ties to the lower index.
  const k = Math.min(index.k, samples);
  const ids: number[] = [];
  for (let s = 0; s < samples; s++) {
    const v = reduced[s]!;
    if (ids.length === k && v >= reduced[ids[k - 1]!]!) continue;
    let at = ids.length === k ? k - 1 : ids.length;
    while (at > 0 && reduced[ids[at - 1]!]! > v) {
      ids[at] = ids[at - 1]!;
      at--;
    }
    ids[at] = s;
  }
  const distances = ids.map((s) => {
    const r = reduced[s]!;
    if (metric === "euclidean") return Math.sqrt(Math.max(r, 0));
    return metric === "minkowski" ? r ** (1 / p) : r;
  });
  return { ids, distances };
}

/** `_get_weights`: 1/distance, and a row with a zero distance weighs only those neighbors. */
function weightsOf(distances: number[]): number[] {
  const inverse = distances.map((d) => 1 / d);
  return inverse.some((w) => !Number.isFinite(w))
    ? inverse.map((w) => (Number.isFinite(w) ? 0 : 1))
    : inverse;
}

function spec(a: Attributes, index: Index): FeatureSpec {
  return { ...a.features(), count: index.features };
}

/** KNeighborsClassifier. */
export function kneighborsClassifier(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  if (a.boolean("outputs_2d_", false)) {
    throw new ModelFormatError(`${a.name}: multi-output models are not supported`);
  }
  const index = readIndex(a);
  const classes = a.array("classes_");
  const y = Int32Array.from(a.floats("_y"));
  const k = classes.size;
  const features = spec(a, index);
  const votes = (x: Input): Matrix => {
    const m = toMatrix(x, features);
    const data = new Float64Array(m.rows * k);
    for (let r = 0; r < m.rows; r++) {
      const { ids, distances } = kneighbors(index, m.data, r * m.cols);
      const w = index.distanceWeights ? weightsOf(distances) : ids.map(() => 1);
      ids.forEach((s, i) => (data[r * k + y[s]!]! += w[i]!));
    }
    return { rows: m.rows, cols: k, data };
  };
  return {
    pyClass: a.pyClass,
    predict(x) {
      const v = votes(x);
      const index = new Int32Array(v.rows);
      for (let r = 0; r < v.rows; r++) {
        // The smallest class among those with the most (weighted) votes; a weight of zero never wins.
        let best = 0;
        let bestCount = 0;
        for (let c = 0; c < k; c++) {
          if (v.data[r * k + c]! > bestCount) {
            best = c;
            bestCount = v.data[r * k + c]!;
          }
        }
        index[r] = best;
      }
      return labelsTensor(classes, index);
    },
    predictProba(x) {
      const v = votes(x);
      for (let r = 0; r < v.rows; r++) {
        let sum = 0;
        for (let c = 0; c < k; c++) sum += v.data[r * k + c]!;
        if (sum === 0) sum = 1;
        for (let c = 0; c < k; c++) v.data[r * k + c]! /= sum;
      }
      return v;
    },
  };
}

/** KNeighborsRegressor (one or several targets). */
export function kneighborsRegressor(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const index = readIndex(a);
  const yArray = a.array("_y");
  const y = a.floats("_y");
  const outputs = yArray.shape.length === 2 ? yArray.shape[1]! : 1;
  const features = spec(a, index);
  return {
    pyClass: a.pyClass,
    predict(x) {
      const m = toMatrix(x, features);
      const data = new Float64Array(m.rows * outputs);
      for (let r = 0; r < m.rows; r++) {
        const { ids, distances } = kneighbors(index, m.data, r * m.cols);
        const w = index.distanceWeights ? weightsOf(distances) : undefined;
        const denominator = w?.reduce((s, v) => s + v, 0);
        for (let o = 0; o < outputs; o++) {
          let sum = 0;
          ids.forEach((s, i) => (sum += y[s * outputs + o]! * (w ? w[i]! : 1)));
          data[r * outputs + o] = w ? sum / denominator! : sum / ids.length;
        }
      }
      return { data, shape: [m.rows, outputs], datatype: "FP64" };
    },
  };
}

export const NEIGHBORS = {
  KNeighborsClassifier: kneighborsClassifier,
  KNeighborsRegressor: kneighborsRegressor,
};

/** The search structures a fitted model pickles (kept as data, not used). */
export const NEIGHBORS_HELPERS = [
  "KDTree",
  "BallTree",
  "newObj",
  "EuclideanDistance",
  "ManhattanDistance",
  "ChebyshevDistance",
  "MinkowskiDistance",
  "EuclideanDistance64",
  "ManhattanDistance64",
  "ChebyshevDistance64",
  "MinkowskiDistance64",
];
