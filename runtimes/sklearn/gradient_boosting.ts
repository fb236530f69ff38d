/**
 * GradientBoostingClassifier and GradientBoostingRegressor: the init
 * estimator's raw predictions (on float32-cast features, as scikit-learn
 * passes them), plus `learning_rate` times each stage's tree, then the
 * loss's transform: identity for regression, the logistic function for
 * binomial deviance, softmax for multinomial deviance, `expit(2 raw)` for
 * the exponential loss. The Dummy estimators that serve as default init
 * estimators are here too (and may be served on their own).
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
import { elements, NdArray } from "./ndarray.ts";
import { expit, logSumExp } from "./math.ts";
import type { PyObject } from "./py_values.ts";
import { addLeafValues, type FlatTree, subTrees, treeFeatures } from "./tree.ts";

const FLOAT32_EPS = 2 ** -23;

type Loss = "identity" | "binomial" | "multinomial" | "exponential";

function lossOf(a: Attributes, classifier: boolean, classes: number): Loss {
  if (!classifier) return "identity";
  const loss = a.optionalString("loss", "log_loss");
  if (loss === "exponential") return "exponential";
  if (loss === "log_loss" || loss === "deviance") return classes === 2 ? "binomial" : "multinomial";
  throw new ModelFormatError(`${a.name}: loss '${loss}' is not supported`);
}

const clip = (p: number) => Math.min(1 - FLOAT32_EPS, Math.max(FLOAT32_EPS, p));

/** Raw predictions of the init estimator, `[rows, k]`. */
function initRaw(init: Estimator | "zero", m: Matrix, k: number, loss: Loss): Float64Array {
  const raw = new Float64Array(m.rows * k);
  if (init === "zero") return raw;
  if (loss === "identity") {
    const predicted = init.predict!(m).data as Float64Array;
    raw.set(predicted);
    return raw;
  }
  if (init.predictProba === undefined) {
    throw new ModelFormatError(`The init estimator ${init.pyClass} has no predict_proba`);
  }
  const proba = init.predictProba(m);
  for (let r = 0; r < m.rows; r++) {
    if (loss === "multinomial") {
      for (let c = 0; c < k; c++) raw[r * k + c] = Math.log(clip(proba.data[r * proba.cols + c]!));
    } else {
      const p = clip(proba.data[r * proba.cols + 1]!);
      const logit = Math.log(p / (1 - p));
      raw[r] = loss === "exponential" ? 0.5 * logit : logit;
    }
  }
  return raw;
}

/** GradientBoostingClassifier and GradientBoostingRegressor. */
export function gradientBoosting(obj: PyObject, build: (value: unknown) => Estimator): Estimator {
  const a = new Attributes(obj);
  const classifier = a.name === "GradientBoostingClassifier";
  const classes = classifier ? a.array("classes_") : undefined;
  const nClasses = classes?.size ?? 1;
  const k = classifier && nClasses > 2 ? nClasses : 1;
  const loss = lossOf(a, classifier, nClasses);
  const spec = a.features();
  const stages = a.array("estimators_");
  if (stages.shape.length !== 2 || stages.shape[1] !== k) {
    throw new ModelFormatError(
      `${a.name}: estimators_ has shape [${stages.shape}], expected [n, ${k}]`,
    );
  }
  const trees: FlatTree[] = subTrees(stages, spec.count, a.name);
  const rate = a.number("learning_rate");
  const initValue = a.required("init_");
  const init = initValue === "zero" ? "zero" : build(initValue);
  const features = treeFeatures(a, trees[0]);

  const raw = (x: Input): Matrix => {
    const m = toMatrix(x, features);
    const cast: Matrix = {
      rows: m.rows,
      cols: m.cols,
      data: Float64Array.from(m.data, Math.fround),
    };
    const out = initRaw(init, cast, k, loss);
    for (let s = 0; s < trees.length; s += k) {
      for (let c = 0; c < k; c++) {
        addLeafValues(trees[s + c]!, cast, rate, out, { stride: k, column: c });
      }
    }
    return { rows: m.rows, cols: k, data: out };
  };
  if (!classifier) {
    return {
      pyClass: a.pyClass,
      predict: (x) => {
        const r = raw(x);
        return { data: r.data, shape: [r.rows, 1], datatype: "FP64" };
      },
    };
  }
  const proba = (x: Input): Matrix => toProba(raw(x), loss);
  return {
    pyClass: a.pyClass,
    predict(x) {
      if (loss === "exponential") {
        const r = raw(x);
        return labelsTensor(classes!, Int32Array.from(r.data, (v) => (v >= 0 ? 1 : 0)));
      }
      return labelsTensor(classes!, argmaxRows(proba(x)));
    },
    predictProba: proba,
  };
}

function toProba(raw: Matrix, loss: Loss): Matrix {
  const { rows } = raw;
  if (loss === "multinomial") {
    const data = new Float64Array(raw.data.length);
    for (let r = 0; r < rows; r++) {
      const lse = logSumExp(raw.data, r * raw.cols, raw.cols);
      for (let c = 0; c < raw.cols; c++) {
        const p = Math.exp(raw.data[r * raw.cols + c]! - lse);
        data[r * raw.cols + c] = Number.isNaN(p) ? 0 : p;
      }
    }
    return { rows, cols: raw.cols, data };
  }
  const data = new Float64Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    const p = expit(loss === "exponential" ? 2 * raw.data[r]! : raw.data[r]!);
    data[r * 2] = 1 - p;
    data[r * 2 + 1] = p;
  }
  return { rows, cols: 2, data };
}

/** DummyClassifier with a deterministic strategy (prior, most_frequent, constant). */
export function dummyClassifier(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const strategy = a.has("_strategy") ? a.string("_strategy") : a.string("strategy");
  if (a.has("n_outputs_") && a.number("n_outputs_") !== 1) {
    throw new ModelFormatError("DummyClassifier: multi-output models are not supported");
  }
  const classes = a.array("classes_");
  const prior = a.floats("class_prior_");
  const k = classes.size;
  let chosen = 0;
  if (strategy === "constant") {
    const constant = a.get("constant");
    const wanted = constant instanceof NdArray ? elements(constant)[0] : constant;
    chosen = elements(classes).findIndex((c) => c === wanted);
    if (chosen < 0) throw new ModelFormatError("DummyClassifier: constant is not a class");
  } else if (strategy === "prior" || strategy === "most_frequent") {
    for (let c = 1; c < k; c++) if (prior[c]! > prior[chosen]!) chosen = c;
  } else {
    throw new ModelFormatError(
      `DummyClassifier: strategy '${strategy}' is random and not supported`,
    );
  }
  const features = { ...a.features(), allowNaN: true };
  return {
    pyClass: a.pyClass,
    predict(x) {
      const rows = toMatrix(x, features).rows;
      return labelsTensor(classes, new Int32Array(rows).fill(chosen));
    },
    predictProba(x) {
      const rows = toMatrix(x, features).rows;
      const data = new Float64Array(rows * k);
      for (let r = 0; r < rows; r++) {
        if (strategy === "prior") data.set(prior, r * k);
        else data[r * k + chosen] = 1;
      }
      return { rows, cols: k, data };
    },
  };
}

/** DummyRegressor: its `constant_` for every row. */
export function dummyRegressor(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const constant = a.floats("constant_");
  const outputs = constant.length;
  const features = { ...a.features(), allowNaN: true };
  return {
    pyClass: a.pyClass,
    predict(x) {
      const rows = toMatrix(x, features).rows;
      const data = new Float64Array(rows * outputs);
      for (let r = 0; r < rows; r++) data.set(constant, r * outputs);
      return { data, shape: [rows, outputs], datatype: "FP64" };
    },
  };
}

export const GRADIENT_BOOSTING = ["GradientBoostingClassifier", "GradientBoostingRegressor"];

/** Loss objects of scikit-learn 1.0-1.3 (`_gb_losses`) and 1.4+ (`_loss`), kept as data. */
export const GRADIENT_BOOSTING_HELPERS = [
  "BinomialDeviance",
  "MultinomialDeviance",
  "ExponentialLoss",
  "LeastSquaresError",
  "LeastAbsoluteError",
  "HuberLossFunction",
  "QuantileLossFunction",
  "HalfBinomialLoss",
  "HalfMultinomialLoss",
  "HalfSquaredError",
  "AbsoluteError",
  "PinballLoss",
  "HuberLoss",
  "CyHalfBinomialLoss",
  "CyHalfMultinomialLoss",
  "CyHalfSquaredError",
  "CyAbsoluteError",
  "CyPinballLoss",
  "CyHuberLoss",
  "CyExponentialLoss",
  "IdentityLink",
  "LogitLink",
  "LogLink",
  "HalfLogitLink",
  "MultinomialLogit",
  "Interval",
];

// Cython writes its extension types' pickles as calls to `__pyx_unpickle_<Type>`; kept as data too.
GRADIENT_BOOSTING_HELPERS.push(
  ...GRADIENT_BOOSTING_HELPERS.filter((n) => n.startsWith("Cy")).map((n) => `__pyx_unpickle_${n}`),
);
