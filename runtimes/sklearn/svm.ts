/**
 * SVC, NuSVC, SVR and NuSVR as libsvm (scikit-learn's bundled copy)
 * evaluates them: kernel values against every support vector (linear,
 * poly with libsvm's `powi`, rbf, sigmoid), one decision value per pair of
 * classes, one-vs-one voting with ties to the lower class index; with
 * `break_ties` and `decision_function_shape="ovr"`, scikit-learn's
 * confidence-adjusted votes instead. `predict_proba` (only when fitted with
 * `probability=True`) is Platt scaling of each pair then libsvm's pairwise
 * coupling (Wu, Lin and Weng's second method), as `svm_predict_probability`.
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
import type { PyObject } from "./py_values.ts";

interface Kernel {
  type: "linear" | "poly" | "rbf" | "sigmoid";
  gamma: number;
  coef0: number;
  degree: number;
}

interface Model {
  kernel: Kernel;
  sv: Float64Array;
  nSV: number;
  features: number;
  /** `_dual_coef_`: (classes - 1) rows of nSV coefficients. */
  coef: Float64Array;
  /** libsvm's rho (= -`_intercept_`). */
  rho: Float64Array;
  /** Support vectors per class. */
  perClass: number[];
}

/** libsvm's `powi`: exponentiation by squaring, in its order of products. */
function powi(base: number, times: number): number {
  let tmp = base;
  let ret = 1;
  for (let t = times; t > 0; t = Math.trunc(t / 2)) {
    if (t % 2 === 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

function kernelValues(model: Model, x: Float64Array, offset: number, out: Float64Array): void {
  const { kernel, sv, nSV, features } = model;
  for (let i = 0; i < nSV; i++) {
    const base = i * features;
    let sum = 0;
    if (kernel.type === "rbf") {
      for (let f = 0; f < features; f++) {
        const d = x[offset + f]! - sv[base + f]!;
        sum += d * d;
      }
      out[i] = Math.exp(-kernel.gamma * sum);
      continue;
    }
    for (let f = 0; f < features; f++) sum += x[offset + f]! * sv[base + f]!;
    out[i] = kernel.type === "linear"
      ? sum
      : kernel.type === "poly"
      ? powi(kernel.gamma * sum + kernel.coef0, kernel.degree)
      : Math.tanh(kernel.gamma * sum + kernel.coef0);
  }
}

/** `svm_predict_values` for classification: pairwise decision values and the voted class. */
function decisionValues(model: Model, k: Float64Array, dec: Float64Array): number {
  const classes = model.perClass.length;
  const start = [0];
  for (let i = 1; i < classes; i++) start.push(start[i - 1]! + model.perClass[i - 1]!);
  const votes = new Array<number>(classes).fill(0);
  const n = model.nSV;
  let p = 0;
  for (let i = 0; i < classes; i++) {
    for (let j = i + 1; j < classes; j++) {
      let sum = 0;
      const coef1 = (j - 1) * n;
      const coef2 = i * n;
      for (let s = 0; s < model.perClass[i]!; s++) {
        sum += model.coef[coef1 + start[i]! + s]! * k[start[i]! + s]!;
      }
      for (let s = 0; s < model.perClass[j]!; s++) {
        sum += model.coef[coef2 + start[j]! + s]! * k[start[j]! + s]!;
      }
      sum -= model.rho[p]!;
      dec[p] = sum;
      votes[sum > 0 ? i : j]!++;
      p++;
    }
  }
  let best = 0;
  for (let i = 1; i < classes; i++) if (votes[i]! > votes[best]!) best = i;
  return best;
}

function sigmoidPredict(decision: number, a: number, b: number): number {
  const fApB = decision * a + b;
  return fApB >= 0 ? Math.exp(-fApB) / (1 + Math.exp(-fApB)) : 1 / (1 + Math.exp(fApB));
}

/** libsvm's `multiclass_probability`: pairwise coupling, in its exact iteration. */
export function multiclassProbability(k: number, r: number[][], p: Float64Array): void {
  const maxIter = Math.max(100, k);
  const eps = 0.005 / k;
  const Q = Array.from({ length: k }, () => new Float64Array(k));
  const Qp = new Float64Array(k);
  for (let t = 0; t < k; t++) {
    p[t] = 1 / k;
    Q[t]![t] = 0;
    for (let j = 0; j < t; j++) {
      Q[t]![t]! += r[j]![t]! * r[j]![t]!;
      Q[t]![j] = Q[j]![t]!;
    }
    for (let j = t + 1; j < k; j++) {
      Q[t]![t]! += r[j]![t]! * r[j]![t]!;
      Q[t]![j] = -r[j]![t]! * r[t]![j]!;
    }
  }
  for (let iter = 0; iter < maxIter; iter++) {
    let pQp = 0;
    for (let t = 0; t < k; t++) {
      Qp[t] = 0;
      for (let j = 0; j < k; j++) Qp[t]! += Q[t]![j]! * p[j]!;
      pQp += p[t]! * Qp[t]!;
    }
    let maxError = 0;
    for (let t = 0; t < k; t++) maxError = Math.max(maxError, Math.abs(Qp[t]! - pQp));
    if (maxError < eps) break;
    for (let t = 0; t < k; t++) {
      const diff = (-Qp[t]! + pQp) / Q[t]![t]!;
      p[t]! += diff;
      pQp = (pQp + diff * (diff * Q[t]![t]! + 2 * Qp[t]!)) / (1 + diff) / (1 + diff);
      for (let j = 0; j < k; j++) {
        Qp[j] = (Qp[j]! + diff * Q[t]![j]!) / (1 + diff);
        p[j]! /= 1 + diff;
      }
    }
  }
}

/** scikit-learn's `_ovr_decision_function` for one row, from libsvm's pairwise values. */
function ovrScores(dec: Float64Array, classes: number, out: Float64Array, at: number): void {
  const votes = new Float64Array(classes);
  const confidence = new Float64Array(classes);
  let p = 0;
  for (let i = 0; i < classes; i++) {
    for (let j = i + 1; j < classes; j++) {
      // scikit-learn's decision values are libsvm's negated for binary only; here the
      // multiclass form is used, where predictions = dec < 0 and confidences = -dec.
      confidence[i]! -= -dec[p]!;
      confidence[j]! += -dec[p]!;
      votes[dec[p]! < 0 ? j : i]!++;
      p++;
    }
  }
  for (let c = 0; c < classes; c++) {
    out[at + c] = votes[c]! + confidence[c]! / (3 * (Math.abs(confidence[c]!) + 1));
  }
}

function readModel(a: Attributes): Model {
  const kernelName = a.string("kernel");
  if (!["linear", "poly", "rbf", "sigmoid"].includes(kernelName)) {
    throw new ModelFormatError(
      `${a.name}: kernel '${kernelName}' is not supported (a precomputed or callable kernel needs the training data or code)`,
    );
  }
  if (a.boolean("_sparse", false)) {
    throw new ModelFormatError(`${a.name}: models fitted on sparse data are not supported`);
  }
  const svArray = a.array("support_vectors_");
  const [nSV, features] = svArray.shape as [number, number];
  const perClass = Array.from(
    a.has("_n_support") ? a.floats("_n_support") : a.floats("n_support_"),
    Number,
  );
  const coef = a.floats("_dual_coef_");
  const intercept = a.floats("_intercept_");
  return {
    kernel: {
      type: kernelName as Kernel["type"],
      gamma: a.has("_gamma") ? a.number("_gamma") : a.number("gamma"),
      coef0: a.number("coef0"),
      degree: a.number("degree"),
    },
    sv: a.floats("support_vectors_"),
    nSV,
    features,
    coef,
    rho: intercept.map((v) => -v),
    perClass,
  };
}

/** SVC and NuSVC. */
export function svc(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const model = readModel(a);
  const classes = a.array("classes_");
  const k = classes.size;
  if (model.perClass.length !== k || model.coef.length !== (k - 1) * model.nSV) {
    throw new ModelFormatError(`${a.name}: support vectors do not match ${k} classes`);
  }
  const features = { ...a.features(), count: model.features };
  const breakTies = a.boolean("break_ties", false) &&
    a.optionalString("decision_function_shape", "ovr") === "ovr" && k > 2;
  const pairs = (k * (k - 1)) / 2;
  const evaluate = (
    x: Input,
    each: (row: number, dec: Float64Array, voted: number) => void,
  ): Matrix => {
    const m = toMatrix(x, features);
    const kv = new Float64Array(model.nSV);
    const dec = new Float64Array(pairs);
    for (let r = 0; r < m.rows; r++) {
      kernelValues(model, m.data, r * m.cols, kv);
      each(r, dec, decisionValues(model, kv, dec));
    }
    return m;
  };
  const estimator: Estimator = {
    pyClass: a.pyClass,
    predict(x) {
      const labels: number[] = [];
      const scores: number[] = [];
      const m = evaluate(x, (_, dec, voted) => {
        if (!breakTies) labels.push(voted);
        else {
          const out = new Float64Array(k);
          ovrScores(dec, k, out, 0);
          scores.push(...out);
        }
      });
      const index = breakTies
        ? argmaxRows({ rows: m.rows, cols: k, data: Float64Array.from(scores) })
        : Int32Array.from(labels);
      return labelsTensor(classes, index);
    },
  };
  if (a.boolean("probability", false)) {
    const probA = a.has("_probA") ? a.floats("_probA") : a.floats("probA_");
    const probB = a.has("_probB") ? a.floats("_probB") : a.floats("probB_");
    if (probA.length !== pairs || probB.length !== pairs) {
      throw new ModelFormatError(
        `${a.name}: probability=True but probA/probB have ${probA.length} values`,
      );
    }
    estimator.predictProba = (x) => {
      const rows: Float64Array[] = [];
      evaluate(x, (_, dec) => {
        const r = Array.from({ length: k }, () => new Array<number>(k).fill(0));
        let p = 0;
        for (let i = 0; i < k; i++) {
          for (let j = i + 1; j < k; j++) {
            const pr = Math.min(
              Math.max(sigmoidPredict(dec[p]!, probA[p]!, probB[p]!), 1e-7),
              1 - 1e-7,
            );
            r[i]![j] = pr;
            r[j]![i] = 1 - pr;
            p++;
          }
        }
        const out = new Float64Array(k);
        multiclassProbability(k, r, out);
        rows.push(out);
      });
      const data = new Float64Array(rows.length * k);
      rows.forEach((row, i) => data.set(row, i * k));
      return { rows: rows.length, cols: k, data };
    };
  }
  return estimator;
}

/** SVR and NuSVR: the sum of coefficients times kernel values, minus rho. */
export function svr(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const model = readModel(a);
  if (model.coef.length !== model.nSV) {
    throw new ModelFormatError(`${a.name}: dual_coef_ does not match support vectors`);
  }
  const features = { ...a.features(), count: model.features };
  return {
    pyClass: a.pyClass,
    predict(x) {
      const m = toMatrix(x, features);
      const kv = new Float64Array(model.nSV);
      const data = new Float64Array(m.rows);
      for (let r = 0; r < m.rows; r++) {
        kernelValues(model, m.data, r * m.cols, kv);
        let sum = 0;
        for (let i = 0; i < model.nSV; i++) sum += model.coef[i]! * kv[i]!;
        data[r] = sum - model.rho[0]!;
      }
      return { data, shape: [m.rows, 1], datatype: "FP64" };
    },
  };
}

export const SVM = { SVC: svc, NuSVC: svc, SVR: svr, NuSVR: svr };
