/**
 * The numeric helpers scikit-learn's prediction paths share, written as
 * scipy and scikit-learn compute them (same order of operations), so
 * results agree to the last bits where the platform's `exp` does.
 *
 * @module
 */

import type { Matrix } from "./estimator.ts";

/** scipy's `expit`: `1 / (1 + exp(-x))`. */
export function expit(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * scikit-learn's `utils.extmath.softmax`: subtract each row's maximum,
 * exponentiate, divide by the row's sum. Returns a new matrix.
 */
export function softmaxRows(m: Matrix): Matrix {
  const data = new Float64Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    const base = r * m.cols;
    let max = -Infinity;
    for (let c = 0; c < m.cols; c++) max = Math.max(max, m.data[base + c]!);
    let sum = 0;
    for (let c = 0; c < m.cols; c++) {
      const e = Math.exp(m.data[base + c]! - max);
      data[base + c] = e;
      sum += e;
    }
    for (let c = 0; c < m.cols; c++) data[base + c]! /= sum;
  }
  return { rows: m.rows, cols: m.cols, data };
}

/** scipy's `logsumexp` of one row (max-shifted). */
export function logSumExp(values: ArrayLike<number>, start: number, length: number): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, values[start + i]!);
  if (!Number.isFinite(max)) max = 0;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Math.exp(values[start + i]! - max);
  return Math.log(sum) + max;
}
