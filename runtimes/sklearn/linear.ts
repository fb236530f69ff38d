/**
 * Linear models: `X @ coef_.T + intercept_`, then what each class does with
 * it. Regressors (LinearRegression, Ridge, Lasso, ElasticNet, SGDRegressor,
 * LinearSVR, HuberRegressor) answer the scores; classifiers
 * (LogisticRegression, SGDClassifier, LinearSVC, RidgeClassifier,
 * Perceptron, PassiveAggressiveClassifier) pick `classes_` by the sign of a
 * single score or the largest of several, and the probabilistic ones turn
 * scores into probabilities as scikit-learn's `predict_proba` does.
 *
 * @module
 */

import { Attributes, ModelFormatError } from "./attributes.ts";
import {
  argmaxRows,
  type Estimator,
  type FeatureSpec,
  type Input,
  labelsTensor,
  type Matrix,
  toMatrix,
} from "./estimator.ts";
import type { NdArray } from "./ndarray.ts";
import type { PyObject } from "./py_values.ts";
import { expit, softmaxRows } from "./math.ts";

/** Weights of a linear model: `outputs` rows of `features` coefficients and intercepts. */
export interface LinearWeights {
  coef: Float64Array;
  intercept: Float64Array;
  outputs: number;
  features: number;
  /** Whether numpy's answer is 1-D (coef_ was 1-D, or a classifier's single column). */
  flat: boolean;
}

/** Reads `coef_` and `intercept_` (a scalar, or one per output). */
export function linearWeights(a: Attributes): LinearWeights {
  const coefArray = a.array("coef_");
  const coef = a.floats("coef_");
  const outputs = coefArray.shape.length === 2 ? coefArray.shape[0]! : 1;
  const features = coefArray.shape.length === 2 ? coefArray.shape[1]! : coef.length;
  const raw = a.get("intercept_");
  const intercept = typeof raw === "number"
    ? new Float64Array(outputs).fill(raw)
    : raw === undefined
    ? new Float64Array(outputs)
    : a.floats("intercept_");
  if (intercept.length !== outputs) {
    throw new ModelFormatError(
      `${a.name}: intercept_ has ${intercept.length} values for ${outputs} outputs`,
    );
  }
  return {
    coef,
    intercept,
    outputs,
    features,
    flat: coefArray.shape.length === 1 || outputs === 1,
  };
}

/** `X @ coef_.T + intercept_`, row-major `[rows, outputs]`. */
export function linearScores(m: Matrix, w: LinearWeights): Float64Array {
  const { coef, intercept, outputs, features } = w;
  const out = new Float64Array(m.rows * outputs);
  for (let r = 0; r < m.rows; r++) {
    const row = r * m.cols;
    for (let o = 0; o < outputs; o++) {
      let sum = 0;
      const base = o * features;
      for (let f = 0; f < features; f++) sum += m.data[row + f]! * coef[base + f]!;
      out[r * outputs + o] = sum + intercept[o]!;
    }
  }
  return out;
}

function spec(a: Attributes, w: LinearWeights): FeatureSpec {
  const features = a.features();
  return { ...features, count: features.count ?? w.features };
}

/** A regressor's `predict`: the scores, 1-D when coef_ is. */
export function linearRegressor(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const w = linearWeights(a);
  const features = spec(a, w);
  return {
    pyClass: a.pyClass,
    predict(x: Input) {
      const data = linearScores(toMatrix(x, features), w);
      const rows = data.length / w.outputs;
      return {
        data,
        shape: w.flat && w.outputs === 1 ? [rows, 1] : [rows, w.outputs],
        datatype: "FP64",
      };
    },
  };
}

/** How a linear classifier turns scores into probabilities, if it can. */
type ProbaRule = "logistic-ovr" | "softmax" | "modified-huber" | undefined;

function probaRule(a: Attributes, classes: number): ProbaRule {
  switch (a.name) {
    case "LogisticRegression":
    case "LogisticRegressionCV": {
      const multiClass = a.has("multi_class") ? a.get("multi_class") : "auto";
      const solver = a.optionalString("solver", "lbfgs");
      if (multiClass === "ovr" || multiClass === "warn") return "logistic-ovr";
      if (multiClass === "multinomial") return "softmax";
      // "auto" (and 1.5's "deprecated"): one-vs-rest for two classes or liblinear.
      // scikit-learn 1.2 to 1.4 also chose one-vs-rest for newton-cholesky.
      const ovrSolvers = ["liblinear", ...(newtonCholeskyIsOvr(a) ? ["newton-cholesky"] : [])];
      return classes <= 2 || ovrSolvers.includes(solver) ? "logistic-ovr" : "softmax";
    }
    case "SGDClassifier": {
      const loss = a.string("loss");
      if (loss === "log_loss" || loss === "log") return "logistic-ovr";
      if (loss === "modified_huber") return "modified-huber";
      return undefined;
    }
    default:
      return undefined;
  }
}

function newtonCholeskyIsOvr(a: Attributes): boolean {
  const version = a.get("_sklearn_version");
  if (typeof version !== "string") return true;
  const [major, minor] = version.split(".").map(Number);
  return major! < 1 || (major === 1 && minor! < 6);
}

/** The classes of a classifier: `classes_`, or its label binarizer's (RidgeClassifier). */
export function classesOf(a: Attributes): NdArray {
  if (a.has("classes_")) return a.array("classes_");
  if (a.has("_label_binarizer")) {
    return new Attributes(a.object("_label_binarizer", "LabelBinarizer")).array("classes_");
  }
  return a.array("classes_");
}

/** A linear classifier: labels by sign or argmax; probabilities when the class has them. */
export function linearClassifier(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const w = linearWeights(a);
  const classes = classesOf(a);
  const features = spec(a, w);
  const nClasses = classes.size;
  if (w.outputs !== (nClasses === 2 ? 1 : nClasses)) {
    throw new ModelFormatError(`${a.name}: coef_ has ${w.outputs} rows for ${nClasses} classes`);
  }
  const rule = probaRule(a, nClasses);
  const scores = (x: Input): Matrix => {
    const m = toMatrix(x, features);
    return { rows: m.rows, cols: w.outputs, data: linearScores(m, w) };
  };
  const estimator: Estimator = {
    pyClass: a.pyClass,
    predict(x) {
      const s = scores(x);
      const index = s.cols === 1 ? Int32Array.from(s.data, (v) => (v > 0 ? 1 : 0)) : argmaxRows(s);
      return labelsTensor(classes, index);
    },
  };
  if (rule !== undefined) estimator.predictProba = (x) => probabilities(scores(x), rule);
  return estimator;
}

/** Scores to probabilities, as `_predict_proba_lr`, `softmax` and SGD's modified Huber do. */
function probabilities(s: Matrix, rule: Exclude<ProbaRule, undefined>): Matrix {
  const { rows } = s;
  if (s.cols === 1) {
    const data = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const d = s.data[r]!;
      data[r * 2] = -d;
      data[r * 2 + 1] = d;
    }
    // Multinomial with two classes: softmax over [-d, d], as scikit-learn does.
    if (rule === "softmax") return softmaxRows({ rows, cols: 2, data });
    for (let r = 0; r < rows; r++) {
      const d = data[r * 2 + 1]!;
      const p = rule === "logistic-ovr" ? expit(d) : (Math.min(1, Math.max(-1, d)) + 1) / 2;
      data[r * 2] = 1 - p;
      data[r * 2 + 1] = p;
    }
    return { rows, cols: 2, data };
  }
  if (rule === "softmax") return softmaxRows(s);
  const data = new Float64Array(s.data.length);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < s.cols; c++) {
      const d = s.data[r * s.cols + c]!;
      const p = rule === "logistic-ovr" ? expit(d) : (Math.min(1, Math.max(-1, d)) + 1) / 2;
      data[r * s.cols + c] = p;
      sum += p;
    }
    if (rule === "modified-huber" && sum === 0) {
      // scikit-learn's rule for rows where every class clipped to zero: uniform.
      for (let c = 0; c < s.cols; c++) data[r * s.cols + c] = 1;
      sum = s.cols;
    }
    for (let c = 0; c < s.cols; c++) data[r * s.cols + c]! /= sum;
  }
  return { rows, cols: s.cols, data };
}

/** Class names (as pickled) of linear regressors. */
export const LINEAR_REGRESSORS = [
  "LinearRegression",
  "Ridge",
  "RidgeCV",
  "Lasso",
  "LassoCV",
  "ElasticNet",
  "ElasticNetCV",
  "SGDRegressor",
  "LinearSVR",
  "HuberRegressor",
];

/** Class names of linear classifiers. */
export const LINEAR_CLASSIFIERS = [
  "LogisticRegression",
  "LogisticRegressionCV",
  "SGDClassifier",
  "LinearSVC",
  "RidgeClassifier",
  "RidgeClassifierCV",
  "Perceptron",
  "PassiveAggressiveClassifier",
];

/** Helper classes their pickles contain. */
export const LINEAR_HELPERS = [
  "LabelBinarizer",
  // SGD's loss objects (kept as data; only `loss` is read).
  "Hinge",
  "Log",
  "ModifiedHuber",
  "SquaredHinge",
  "SquaredLoss",
  "Huber",
  "EpsilonInsensitive",
  "SquaredEpsilonInsensitive",
];
