/**
 * Naive Bayes: GaussianNB, MultinomialNB, ComplementNB and BernoulliNB. Each
 * computes scikit-learn's joint log likelihood per class (numpy's pairwise
 * sums where numpy sums along a row); `predict` takes its argmax and
 * `predict_proba` is `exp(jll - logsumexp(jll))`.
 *
 * @module
 */

import { InvalidRequestError } from "mlserver";
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
import { logSumExp, npSum } from "./math.ts";
import type { PyObject } from "./py_values.ts";

type Jll = (m: Matrix) => Matrix;

function naiveBayes(a: Attributes, features: FeatureSpec, jll: Jll): Estimator {
  const classes = a.array("classes_");
  const scores = (x: Input) => jll(toMatrix(x, features));
  return {
    pyClass: a.pyClass,
    predict: (x) => labelsTensor(classes, argmaxRows(scores(x))),
    predictProba(x) {
      const s = scores(x);
      const data = new Float64Array(s.data.length);
      for (let r = 0; r < s.rows; r++) {
        const lse = logSumExp(s.data, r * s.cols, s.cols);
        for (let c = 0; c < s.cols; c++) {
          data[r * s.cols + c] = Math.exp(s.data[r * s.cols + c]! - lse);
        }
      }
      return { rows: s.rows, cols: s.cols, data };
    },
  };
}

/** GaussianNB: log prior plus the Gaussian log density of every feature. */
export function gaussianNB(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const theta = a.floats("theta_");
  const variance = a.has("var_") ? a.floats("var_") : a.floats("sigma_");
  const prior = a.floats("class_prior_");
  const k = prior.length;
  const f = theta.length / k;
  if (variance.length !== theta.length) {
    throw new ModelFormatError("GaussianNB: var_ and theta_ differ in size");
  }
  // -0.5 * sum(log(2 pi var)) per class, as numpy sums it.
  const logNorm = Float64Array.from({ length: k }, (_, c) => {
    const logs = Float64Array.from(
      { length: f },
      (_, j) => Math.log(2 * Math.PI * variance[c * f + j]!),
    );
    return -0.5 * npSum(logs, 0, f);
  });
  const terms = new Float64Array(f);
  return naiveBayes(a, { ...a.features(), count: f }, (m) => {
    const data = new Float64Array(m.rows * k);
    for (let r = 0; r < m.rows; r++) {
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < f; j++) {
          const d = m.data[r * m.cols + j]! - theta[c * f + j]!;
          terms[j] = (d * d) / variance[c * f + j]!;
        }
        data[r * k + c] = Math.log(prior[c]!) + (logNorm[c]! - 0.5 * npSum(terms, 0, f));
      }
    }
    return { rows: m.rows, cols: k, data };
  });
}

/** `X @ weights.T + bias`, per class. */
function linearJll(
  m: Matrix,
  weights: Float64Array,
  bias: Float64Array | undefined,
  k: number,
): Matrix {
  const f = weights.length / k;
  const data = new Float64Array(m.rows * k);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (let j = 0; j < f; j++) sum += m.data[r * m.cols + j]! * weights[c * f + j]!;
      data[r * k + c] = bias === undefined ? sum : sum + bias[c]!;
    }
  }
  return { rows: m.rows, cols: k, data };
}

function nonNegative(m: Matrix, name: string): Matrix {
  if (m.data.some((v) => v < 0)) {
    throw new InvalidRequestError(`Negative values in data passed to ${name} (input X)`);
  }
  return m;
}

/** MultinomialNB and ComplementNB: linear in the counts. */
export function discreteNB(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const logProb = a.floats("feature_log_prob_");
  const prior = a.floats("class_log_prior_");
  const k = prior.length;
  const complement = a.name === "ComplementNB";
  // ComplementNB adds the prior only when there is a single class.
  const bias = complement && k !== 1 ? undefined : prior;
  return naiveBayes(
    a,
    { ...a.features(), count: logProb.length / k },
    (m) => linearJll(nonNegative(m, a.name), logProb, bias, k),
  );
}

/** BernoulliNB: binarized features, with the log probabilities of absent ones. */
export function bernoulliNB(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const logProb = a.floats("feature_log_prob_");
  const prior = a.floats("class_log_prior_");
  const k = prior.length;
  const f = logProb.length / k;
  const threshold = a.get("binarize");
  const negProb = logProb.map((v) => Math.log(1 - Math.exp(v)));
  const weights = logProb.map((v, i) => v - negProb[i]!);
  const bias = Float64Array.from({ length: k }, (_, c) => prior[c]! + npSum(negProb, c * f, f));
  return naiveBayes(a, { ...a.features(), count: f }, (m) => {
    const x = typeof threshold === "number"
      ? { ...m, data: m.data.map((v) => (v > threshold ? 1 : 0)) }
      : m;
    const s = linearJll(x, weights, undefined, k);
    // scikit-learn: jll = X @ w.T, then jll += class_log_prior_ + neg_prob.sum(axis=1).
    for (let r = 0; r < s.rows; r++) for (let c = 0; c < k; c++) s.data[r * k + c]! += bias[c]!;
    return s;
  });
}

export const NAIVE_BAYES = {
  GaussianNB: gaussianNB,
  MultinomialNB: discreteNB,
  ComplementNB: discreteNB,
  BernoulliNB: bernoulliNB,
};
