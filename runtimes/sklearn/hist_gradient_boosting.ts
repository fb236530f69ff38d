/**
 * HistGradientBoostingClassifier and HistGradientBoostingRegressor, as
 * `TreePredictor.predict` walks raw (unbinned) float64 features: a
 * numerical split sends `x <= num_threshold` left, NaN follows
 * `missing_go_to_left`; a categorical split sends the categories of its
 * bitset left, other known categories right, and unknown or negative ones
 * the missing value's way. Leaf values already carry the learning rate.
 * Raw predictions start from `_baseline_prediction`; the loss's inverse
 * link gives predictions (identity, or exp for poisson/gamma) and
 * probabilities (logistic for one tree per iteration, softmax for more).
 *
 * @module
 */

import { Attributes, ModelFormatError } from "./attributes.ts";
import {
  argmaxRows,
  type Estimator,
  type Input,
  labelsTensor,
  type Matrix,
  toMatrix,
} from "./estimator.ts";
import { expit, softmaxRows } from "./math.ts";
import { elements, fieldFloat64, hasField, NdArray, toFloat64 } from "./ndarray.ts";
import { PyObject } from "./py_values.ts";

interface Predictor {
  value: Float64Array;
  feature: Uint32Array;
  threshold: Float64Array;
  missingLeft: Uint8Array;
  left: Uint32Array;
  right: Uint32Array;
  isLeaf: Uint8Array;
  isCategorical: Uint8Array;
  bitsetIndex: Uint32Array;
  /** `raw_left_cat_bitsets`: 8 uint32 words per bitset. */
  bitsets: Uint32Array;
}

const inBitset = (bits: Uint32Array, row: number, value: number) =>
  ((bits[row * 8 + (value >>> 5)]! >>> (value & 31)) & 1) === 1;

function readPredictor(obj: unknown, features: number, owner: string): Predictor {
  if (!(obj instanceof PyObject)) {
    throw new ModelFormatError(`${owner}: a predictor is not a TreePredictor`);
  }
  const a = new Attributes(obj);
  const nodes = a.array("nodes");
  const field = (name: string) => fieldFloat64(nodes, name);
  const predictor: Predictor = {
    value: field("value"),
    feature: Uint32Array.from(field("feature_idx")),
    // `threshold` became `num_threshold` in scikit-learn 0.24.
    threshold: field(hasField(nodes, "num_threshold") ? "num_threshold" : "threshold"),
    missingLeft: Uint8Array.from(field("missing_go_to_left")),
    left: Uint32Array.from(field("left")),
    right: Uint32Array.from(field("right")),
    isLeaf: Uint8Array.from(field("is_leaf")),
    isCategorical: hasField(nodes, "is_categorical")
      ? Uint8Array.from(field("is_categorical"))
      : new Uint8Array(nodes.size),
    bitsetIndex: hasField(nodes, "bitset_idx")
      ? Uint32Array.from(field("bitset_idx"))
      : new Uint32Array(nodes.size),
    bitsets: a.has("raw_left_cat_bitsets")
      ? Uint32Array.from(a.floats("raw_left_cat_bitsets"))
      : new Uint32Array(),
  };
  const n = nodes.size;
  for (let i = 0; i < n; i++) {
    if (predictor.isLeaf[i]) continue;
    const l = predictor.left[i]!;
    const r = predictor.right[i]!;
    if (l <= i || r <= i || l >= n || r >= n || predictor.feature[i]! >= features) {
      throw new ModelFormatError(`${owner}: node ${i} points outside its predictor`);
    }
    if (
      predictor.isCategorical[i] && (predictor.bitsetIndex[i]! + 1) * 8 > predictor.bitsets.length
    ) {
      throw new ModelFormatError(`${owner}: node ${i} has no categories bitset`);
    }
  }
  return predictor;
}

/** `_BinMapper.make_known_categories_bitsets()`: the categories seen in fit, per categorical feature. */
function knownCategories(binMapper: unknown, features: number) {
  const map = new Int32Array(features).fill(-1);
  if (!(binMapper instanceof PyObject)) return { map, bits: new Uint32Array() };
  const a = new Attributes(binMapper);
  const categorical = a.get("is_categorical_");
  if (!(categorical instanceof NdArray)) return { map, bits: new Uint32Array() };
  const flags = toFloat64(categorical);
  const thresholds = a.list("bin_thresholds_");
  const indices = [...flags.keys()].filter((f) => flags[f]);
  const bits = new Uint32Array(indices.length * 8);
  indices.forEach((f, m) => {
    map[f] = m;
    const known = thresholds[f];
    for (const v of known instanceof NdArray ? elements(known) : []) {
      const c = Number(v);
      bits[m * 8 + (c >>> 5)]! |= 1 << (c & 31);
    }
  });
  return { map, bits };
}

function walk(
  p: Predictor,
  data: Float64Array,
  offset: number,
  known: { map: Int32Array; bits: Uint32Array },
): number {
  let node = 0;
  while (!p.isLeaf[node]) {
    const x = data[offset + p.feature[node]!]!;
    const missing = p.missingLeft[node] ? p.left[node]! : p.right[node]!;
    if (x !== x) node = missing;
    else if (p.isCategorical[node]) {
      // The C code casts the value to an unsigned byte (a bin index).
      const c = x < 0 ? -1 : Math.trunc(x) & 255;
      const mapped = known.map[p.feature[node]!]!;
      if (c < 0) node = missing;
      else if (inBitset(p.bitsets, p.bitsetIndex[node]!, c)) node = p.left[node]!;
      else if (mapped >= 0 && inBitset(known.bits, mapped, c)) node = p.right[node]!;
      else node = missing;
    } else node = x <= p.threshold[node]! ? p.left[node]! : p.right[node]!;
  }
  return p.value[node]!;
}

/** HistGradientBoostingClassifier and HistGradientBoostingRegressor. */
export function histGradientBoosting(
  obj: PyObject,
  build: (value: unknown) => Estimator,
): Estimator {
  const a = new Attributes(obj);
  const classifier = a.name === "HistGradientBoostingClassifier";
  const k = a.number("n_trees_per_iteration_");
  const baseline = a.floats("_baseline_prediction");
  if (baseline.length !== k) {
    throw new ModelFormatError(
      `${a.name}: _baseline_prediction has ${baseline.length} values for ${k} trees per iteration`,
    );
  }
  const spec = a.features();
  const features = a.has("_n_features") ? a.number("_n_features") : spec.count ?? 0;
  const iterations = a.list("_predictors").map((iteration, i) => {
    if (!Array.isArray(iteration) || iteration.length !== k) {
      throw new ModelFormatError(`${a.name}: _predictors[${i}] does not hold ${k} predictors`);
    }
    return iteration.map((p) => readPredictor(p, features, a.name));
  });
  const known = knownCategories(a.get("_bin_mapper"), features);
  // scikit-learn 1.4+ may encode categorical columns first (categorical_features="from_dtype").
  const preprocessorValue = a.get("_preprocessor");
  const preprocessor = preprocessorValue instanceof PyObject ? build(preprocessorValue) : undefined;
  const inputSpec = { ...spec, count: preprocessor ? spec.count : features, allowNaN: true };

  const raw = (x: Input): Matrix => {
    const encoded = preprocessor ? preprocessor.transform!(x) : x;
    const m = toMatrix(
      encoded,
      preprocessor ? { ...inputSpec, names: undefined, count: features } : inputSpec,
    );
    const out = new Float64Array(m.rows * k);
    for (let r = 0; r < m.rows; r++) for (let c = 0; c < k; c++) out[r * k + c] = baseline[c]!;
    for (const iteration of iterations) {
      for (let c = 0; c < k; c++) {
        const predictor = iteration[c]!;
        for (let r = 0; r < m.rows; r++) {
          out[r * k + c]! += walk(predictor, m.data, r * m.cols, known);
        }
      }
    }
    return { rows: m.rows, cols: k, data: out };
  };

  if (!classifier) {
    const loss = a.optionalString("loss", "squared_error");
    const exp = loss === "poisson" || loss === "gamma";
    return {
      pyClass: a.pyClass,
      predict(x) {
        const r = raw(x);
        const data = exp ? r.data.map(Math.exp) : r.data;
        return { data, shape: [r.rows, 1], datatype: "FP64" };
      },
    };
  }
  const classes = a.array("classes_");
  const proba = (x: Input): Matrix => {
    const r = raw(x);
    if (k > 1) return softmaxRows(r);
    const data = new Float64Array(r.rows * 2);
    for (let i = 0; i < r.rows; i++) {
      const p = expit(r.data[i]!);
      data[i * 2 + 1] = p;
      data[i * 2] = 1 - p;
    }
    return { rows: r.rows, cols: 2, data };
  };
  return {
    pyClass: a.pyClass,
    predict: (x) => labelsTensor(classes, argmaxRows(proba(x))),
    predictProba: proba,
  };
}

export const HIST_GRADIENT_BOOSTING = [
  "HistGradientBoostingClassifier",
  "HistGradientBoostingRegressor",
];

/** Classes inside HistGradientBoosting pickles (kept as data). */
export const HIST_GRADIENT_BOOSTING_HELPERS = [
  "TreePredictor",
  "_BinMapper",
  // Losses of scikit-learn 0.22-1.1 (`_hist_gradient_boosting.loss`).
  "BinaryCrossEntropy",
  "CategoricalCrossEntropy",
  "LeastSquares",
  "LeastAbsoluteDeviation",
  "Poisson",
  "HalfPoissonLoss",
  "HalfGammaLoss",
  "CyHalfPoissonLoss",
  "CyHalfGammaLoss",
  "__pyx_unpickle_CyHalfPoissonLoss",
  "__pyx_unpickle_CyHalfGammaLoss",
];
