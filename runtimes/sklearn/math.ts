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
    for (let c = 0; c < m.cols; c++) data[base + c] = Math.exp(m.data[base + c]! - max);
    const sum = npSum(data, base, m.cols);
    for (let c = 0; c < m.cols; c++) data[base + c]! /= sum;
  }
  return { rows: m.rows, cols: m.cols, data };
}

/** scipy's `logsumexp` of one row (max-shifted). */
export function logSumExp(values: ArrayLike<number>, start: number, length: number): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, values[start + i]!);
  if (!Number.isFinite(max)) max = 0;
  const shifted = new Float64Array(length);
  for (let i = 0; i < length; i++) shifted[i] = Math.exp(values[start + i]! - max);
  return Math.log(npSum(shifted, 0, length)) + max;
}

/**
 * numpy's `add.reduce` over `n` contiguous values: pairwise summation
 * (eight running sums per block of up to 128, halves above), which is what
 * `np.sum(..., axis=-1)` computes; results can differ from a plain loop in
 * the last bits.
 */
export function npSum(values: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[start + i]!;
    return n === 0 ? 0 : sum;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => values[start + j]!);
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j]! += values[start + i + j]!;
    }
    let sum = (r[0]! + r[1]! + (r[2]! + r[3]!)) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) sum += values[start + i]!;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return npSum(values, start, half) + npSum(values, start + half, n - half);
}
