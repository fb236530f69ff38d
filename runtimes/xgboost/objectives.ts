/**
 * XGBoost's objectives at prediction time: how `base_score` becomes the
 * starting margin, and how summed margins become predictions. Arithmetic
 * stays in float32 (results are stored in `Float32Array`s), as XGBoost's.
 *
 * @module
 */

/** What prediction needs from an objective. */
export interface Objective {
  /** The margin every row starts from, given the model's `base_score`. */
  baseMargin(baseScore: number): number;
  /**
   * Turns margins (`rows * groups`, row-major) into predictions: in place,
   * or a new array when there is one value per row (`multi:softmax`).
   */
  transform(margins: Float32Array, groups: number): Float32Array;
  /** Whether the prediction is one value per row whatever the group count. */
  onePerRow?: true;
}

const identity = (x: number) => x;
const logit = (p: number) => -Math.log(1 / p - 1);

function elementwise(baseMargin: (b: number) => number, f: (m: number) => number): Objective {
  return {
    baseMargin,
    transform(margins) {
      for (let i = 0; i < margins.length; i++) margins[i] = f(margins[i]!);
      return margins;
    },
  };
}

const raw = elementwise(identity, identity);
const sigmoid = elementwise(logit, (m) => 1 / (1 + Math.exp(-m)));
const exponential = elementwise(Math.log, Math.exp);

const softprob: Objective = {
  baseMargin: identity,
  transform(margins, groups) {
    for (let row = 0; row < margins.length; row += groups) {
      let max = -Infinity;
      for (let g = 0; g < groups; g++) max = Math.max(max, margins[row + g]!);
      // XGBoost sums in double, then divides by that sum as a float.
      let sum = 0;
      for (let g = 0; g < groups; g++) {
        margins[row + g] = Math.exp(margins[row + g]! - max);
        sum += margins[row + g]!;
      }
      const total = Math.fround(sum);
      for (let g = 0; g < groups; g++) margins[row + g] = margins[row + g]! / total;
    }
    return margins;
  },
};

const softmax: Objective = {
  baseMargin: identity,
  onePerRow: true,
  transform(margins, groups) {
    const rows = margins.length / groups;
    const classes = new Float32Array(rows);
    for (let row = 0; row < rows; row++) {
      let best = 0;
      for (let g = 1; g < groups; g++) {
        if (margins[row * groups + g]! > margins[row * groups + best]!) best = g;
      }
      classes[row] = best;
    }
    return classes;
  },
};

/** Objectives by XGBoost's name. */
export const OBJECTIVES: Readonly<Record<string, Objective>> = {
  "reg:squarederror": raw,
  "reg:squaredlogerror": raw,
  "reg:pseudohubererror": raw,
  "reg:absoluteerror": raw,
  "reg:quantileerror": raw,
  "reg:linear": raw,
  "reg:logistic": sigmoid,
  "binary:logistic": sigmoid,
  "binary:logitraw": elementwise(logit, identity),
  "binary:hinge": elementwise(identity, (m) => (m > 0 ? 1 : 0)),
  "count:poisson": exponential,
  "reg:gamma": exponential,
  "reg:tweedie": exponential,
  "multi:softprob": softprob,
  "multi:softmax": softmax,
  "rank:pairwise": raw,
  "rank:ndcg": raw,
  "rank:map": raw,
};
