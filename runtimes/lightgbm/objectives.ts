/**
 * The `objective=` header line and the output transform it implies: what
 * LightGBM's `ObjectiveFunction::ConvertOutput` does to a row's raw scores
 * when `Booster.predict()` is called without `raw_score`. The line is the
 * objective's canonical name plus its `key:value` settings
 * (`binary sigmoid:1`, `multiclass num_class:3`, `regression sqrt`).
 *
 * @module
 */

import { ModelFormatError, parseNumber, tokens } from "./model_text.ts";

/** How a row's raw scores become its prediction. */
export type Transform =
  | { kind: "identity" }
  | { kind: "square"; signed: true } // `sqrt` regression: the model learned sign(y)·√|y|
  | { kind: "sigmoid"; scale: number } // binary, multiclassova: 1 / (1 + exp(-scale·x)) per score
  | { kind: "softmax" } // multiclass
  | { kind: "exp" } // poisson, gamma, tweedie
  | { kind: "softplus" }; // cross_entropy_lambda: log(1 + exp(x))

/** An objective as read from the file. */
export interface Objective {
  /** Canonical name (`binary`, `multiclass`...), or `custom` when the file has none. */
  name: string;
  transform: Transform;
  /** Classes the objective names (`num_class:K`), 1 for the others. */
  numClass: number;
}

// Losses whose output is regression's: the score itself, squared back under `sqrt`.
const REGRESSION = new Set(["regression", "regression_l1", "quantile", "mape", "fair"]);
// Scores as they are: huber (which drops `sqrt`), the rankers, a custom objective.
const RAW = new Set(["huber", "lambdarank", "rank_xendcg", "custom"]);
const EXP = new Set(["poisson", "gamma", "tweedie"]);

// LightGBM's own aliases, applied to the whole line as its loader does.
const ALIASES: Record<string, string> = {
  regression_l2: "regression",
  mean_squared_error: "regression",
  mse: "regression",
  l2: "regression",
  l2_root: "regression",
  root_mean_squared_error: "regression",
  rmse: "regression",
  mean_absolute_error: "regression_l1",
  l1: "regression_l1",
  mae: "regression_l1",
  softmax: "multiclass",
  multiclass_ova: "multiclassova",
  ova: "multiclassova",
  ovr: "multiclassova",
  xentropy: "cross_entropy",
  xentlambda: "cross_entropy_lambda",
  mean_absolute_percentage_error: "mape",
  xendcg: "rank_xendcg",
  xe_ndcg: "rank_xendcg",
  xe_ndcg_mart: "rank_xendcg",
  xendcg_mart: "rank_xendcg",
  none: "custom",
  null: "custom",
  na: "custom",
};

/** Reads the `objective=` value; `undefined` (no line: a custom objective) gives raw scores. */
export function parseObjective(line: string | undefined): Objective {
  if (line === undefined) return { name: "custom", transform: { kind: "identity" }, numClass: 1 };
  const words = tokens(ALIASES[line.trim()] ?? line);
  const name = words[0] ?? "";
  const settings = new Map<string, string>();
  const flags = new Set<string>();
  for (const word of words.slice(1)) {
    const parts = word.split(":");
    if (parts.length === 2) settings.set(parts[0]!, parts[1]!);
    else flags.add(word);
  }
  const sigmoid = () => {
    const scale = parseNumber(settings.get("sigmoid") ?? "");
    if (scale === undefined || !(scale > 0)) {
      throw new ModelFormatError(`objective '${line}': sigmoid must be a number above zero`);
    }
    return scale;
  };
  const classes = () => {
    const k = parseNumber(settings.get("num_class") ?? "");
    if (k === undefined || !Number.isInteger(k) || k < 1) {
      throw new ModelFormatError(`objective '${line}': num_class must be a whole number`);
    }
    return k;
  };
  if (REGRESSION.has(name)) {
    const transform: Transform = flags.has("sqrt")
      ? { kind: "square", signed: true }
      : { kind: "identity" };
    return { name, transform, numClass: 1 };
  }
  if (RAW.has(name)) return { name, transform: { kind: "identity" }, numClass: 1 };
  if (EXP.has(name)) return { name, transform: { kind: "exp" }, numClass: 1 };
  switch (name) {
    case "binary":
      return { name, transform: { kind: "sigmoid", scale: sigmoid() }, numClass: 1 };
    case "cross_entropy":
      return { name, transform: { kind: "sigmoid", scale: 1 }, numClass: 1 };
    case "cross_entropy_lambda":
      return { name, transform: { kind: "softplus" }, numClass: 1 };
    case "multiclass":
      return { name, transform: { kind: "softmax" }, numClass: classes() };
    case "multiclassova":
      return { name, transform: { kind: "sigmoid", scale: sigmoid() }, numClass: classes() };
  }
  throw new ModelFormatError(`objective '${line}' is not supported`);
}

/** Applies the transform in place to the `k` scores of one row starting at `offset`. */
export function convertOutput(
  transform: Transform,
  scores: Float64Array,
  offset: number,
  k: number,
): void {
  const end = offset + k;
  switch (transform.kind) {
    case "identity":
      return;
    case "square":
      for (let i = offset; i < end; i++) {
        scores[i] = Math.sign(scores[i]!) * scores[i]! * scores[i]!;
      }
      return;
    case "sigmoid":
      for (let i = offset; i < end; i++) {
        scores[i] = 1 / (1 + Math.exp(-transform.scale * scores[i]!));
      }
      return;
    case "exp":
      for (let i = offset; i < end; i++) scores[i] = Math.exp(scores[i]!);
      return;
    case "softplus":
      for (let i = offset; i < end; i++) scores[i] = Math.log1p(Math.exp(scores[i]!));
      return;
    case "softmax": {
      let max = scores[offset]!;
      for (let i = offset + 1; i < end; i++) max = Math.max(max, scores[i]!);
      let sum = 0;
      for (let i = offset; i < end; i++) {
        scores[i] = Math.exp(scores[i]! - max);
        sum += scores[i]!;
      }
      for (let i = offset; i < end; i++) scores[i] = scores[i]! / sum;
      return;
    }
    default:
      transform satisfies never;
  }
}
