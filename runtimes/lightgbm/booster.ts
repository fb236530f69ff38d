/**
 * A LightGBM model read from its text file: the header's class and feature
 * counts, feature names, objective and `average_output` flag, checked the
 * way LightGBM's loader checks them, and `predict()` with the meaning of
 * `Booster.predict(data, start_iteration, num_iteration)`.
 *
 * @module
 */

import {
  integerField,
  integerList,
  ModelFormatError,
  parseModelText,
  tokens,
} from "./model_text.ts";
import { convertOutput, type Objective, parseObjective } from "./objectives.ts";
import { Forest, ZERO_THRESHOLD } from "./trees.ts";

/** Which iterations to use, as `Booster.predict()`'s arguments of the same names. */
export interface IterationRange {
  /** First iteration used; values below 0 mean 0. */
  startIteration?: number;
  /** Iterations used from the start; 0 or less means all the rest. */
  numIteration?: number;
}

/** A parsed model, ready to predict. */
export class Booster {
  /** Predictions per row: the number of classes of a multiclass model, else 1. */
  readonly outputsPerRow: number;
  readonly numFeatures: number;
  readonly featureNames: readonly string[];
  readonly objective: Objective;
  /** Random forest mode: the trees' sum is divided by the iterations used. */
  readonly averageOutput: boolean;
  /** Boosting iterations in the file (trees ÷ trees per iteration). */
  readonly numIterations: number;
  #forest: Forest;

  constructor(text: string) {
    const { header, trees } = parseModelText(text);
    const where = "header";
    const numClass = integerField(header, "num_class", where);
    const perIteration = header.has("num_tree_per_iteration")
      ? integerField(header, "num_tree_per_iteration", where)
      : numClass;
    integerField(header, "label_index", where); // LightGBM requires it; prediction does not use it
    const numFeatures = integerField(header, "max_feature_idx", where) + 1;
    if (numClass < 1 || perIteration < 1 || numFeatures < 1) {
      throw new ModelFormatError(
        `header: num_class ${numClass}, num_tree_per_iteration ${perIteration} and ` +
          `max_feature_idx ${numFeatures - 1} must be positive`,
      );
    }
    const names = header.has("feature_names") ? tokens(header.get("feature_names")!) : undefined;
    if (names === undefined || names.length !== numFeatures) {
      throw new ModelFormatError(
        `header: feature_names must name ${numFeatures} features` +
          (names === undefined ? "" : ` (it names ${names.length})`),
      );
    }
    if (!header.has("feature_infos")) throw new ModelFormatError("header: no feature_infos field");
    if (header.has("tree_sizes")) {
      const sizes = integerList(header, "tree_sizes", { where });
      if (sizes.length !== trees.length) {
        throw new ModelFormatError(
          `header: tree_sizes lists ${sizes.length} trees, the file has ${trees.length}`,
        );
      }
    }
    if (trees.length % perIteration !== 0) {
      throw new ModelFormatError(
        `${trees.length} trees are not whole iterations of ${perIteration} trees`,
      );
    }
    const objective = parseObjective(header.get("objective"));
    const perClass = objective.name === "multiclass" || objective.name === "multiclassova";
    if (perClass && (objective.numClass !== numClass || numClass !== perIteration)) {
      throw new ModelFormatError(
        `objective '${header.get("objective")}' does not fit num_class ${numClass} and ` +
          `num_tree_per_iteration ${perIteration}`,
      );
    }
    if (!perClass && objective.name !== "custom" && (numClass !== 1 || perIteration !== 1)) {
      throw new ModelFormatError(
        `objective '${objective.name}' has one output, the header says num_class ${numClass} ` +
          `and num_tree_per_iteration ${perIteration}`,
      );
    }
    if (numClass !== perIteration) {
      throw new ModelFormatError(
        `num_class ${numClass} and num_tree_per_iteration ${perIteration} differ`,
      );
    }
    this.outputsPerRow = perIteration;
    this.numFeatures = numFeatures;
    this.featureNames = names;
    this.objective = objective;
    this.averageOutput = header.has("average_output");
    this.numIterations = trees.length / perIteration;
    this.#forest = new Forest(trees, numFeatures);
  }

  /** Whether any tree has linear leaves (`linear_tree=true` when trained). */
  get hasLinearTrees(): boolean {
    return this.#forest.hasLinear;
  }

  /** Whether any split is categorical. */
  get hasCategoricalSplits(): boolean {
    return this.#forest.hasCategorical;
  }

  /**
   * Predicts `rows` rows of `numFeatures` values (NaN missing), widened to
   * double as LightGBM's C API takes float32 and float64 rows: raw scores
   * summed over the iterations, averaged in random forest mode, then the
   * objective's transform. Returns `rows × outputsPerRow` values.
   */
  predict(
    values: Float32Array | Float64Array,
    rows: number,
    range: IterationRange = {},
  ): Float64Array {
    // The C API keeps only |x| > kZeroThreshold (and NaN) of a dense row; the rest reads as 0.
    const x = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      x[i] = v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD ? 0 : v;
    }
    const perRow = this.outputsPerRow;
    const start = Math.min(Math.max(range.startIteration ?? 0, 0), this.numIterations);
    const wanted = range.numIteration ?? 0;
    const count = wanted > 0
      ? Math.min(wanted, this.numIterations - start)
      : this.numIterations - start;
    const scores = new Float64Array(rows * perRow);
    this.#forest.addScores(x, rows, this.numFeatures, scores, {
      first: start * perRow,
      end: (start + count) * perRow,
      perRow,
    });
    if (this.averageOutput) {
      for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / count;
    }
    const transform = this.objective.transform;
    if (transform.kind !== "identity") {
      for (let row = 0; row < rows; row++) convertOutput(transform, scores, row * perRow, perRow);
    }
    return scores;
  }
}
