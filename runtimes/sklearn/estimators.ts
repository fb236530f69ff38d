/**
 * Which scikit-learn classes this runtime rebuilds, and how: each supported
 * estimator class maps to a builder that reads its fitted attributes into
 * an `Estimator`. Helper classes that only occur inside those estimators
 * (tree structures, loss objects, binners) are allowed as data. The pickle
 * reader's allow-list for `sklearn.*` is exactly these two lists.
 *
 * @module
 */

import { ModelFormatError } from "./attributes.ts";
import type { Estimator } from "./estimator.ts";
import {
  LINEAR_CLASSIFIERS,
  LINEAR_HELPERS,
  LINEAR_REGRESSORS,
  linearClassifier,
  linearRegressor,
} from "./linear.ts";
import { describe } from "./attributes.ts";
import { columnTransformer, functionTransformer, pipeline } from "./compose.ts";
import { ENCODERS } from "./encoders.ts";
import { PREPROCESSING } from "./preprocessing.ts";
import {
  HIST_GRADIENT_BOOSTING,
  HIST_GRADIENT_BOOSTING_HELPERS,
  histGradientBoosting,
} from "./hist_gradient_boosting.ts";
import { NAIVE_BAYES } from "./naive_bayes.ts";
import { NEIGHBORS, NEIGHBORS_HELPERS } from "./neighbors.ts";
import { SVM } from "./svm.ts";
import {
  FOREST_CLASSIFIERS,
  FOREST_REGRESSORS,
  forestClassifier,
  forestRegressor,
} from "./forest.ts";
import {
  dummyClassifier,
  dummyRegressor,
  GRADIENT_BOOSTING,
  GRADIENT_BOOSTING_HELPERS,
  gradientBoosting,
} from "./gradient_boosting.ts";
import {
  TREE_CLASSIFIERS,
  TREE_HELPERS,
  TREE_REGRESSORS,
  treeClassifier,
  treeRegressor,
} from "./tree.ts";
import { PyObject } from "./py_values.ts";
import type { SklearnClasses } from "./safe_globals.ts";

/** Builds an estimator from its pickled object; `build` rebuilds nested estimators. */
export type Builder = (obj: PyObject, build: (value: unknown) => Estimator) => Estimator;

const BUILDERS = new Map<string, Builder>();
const HELPERS = new Set<string>();

function register(names: readonly string[], builder: Builder): void {
  for (const name of names) BUILDERS.set(name, builder);
}

register(LINEAR_REGRESSORS, linearRegressor);
register(LINEAR_CLASSIFIERS, linearClassifier);
register(TREE_CLASSIFIERS, treeClassifier);
register(TREE_REGRESSORS, treeRegressor);
register(FOREST_CLASSIFIERS, forestClassifier);
register(FOREST_REGRESSORS, forestRegressor);
register(GRADIENT_BOOSTING, gradientBoosting);
register(["DummyClassifier"], dummyClassifier);
register(["DummyRegressor"], dummyRegressor);
register(["Pipeline"], pipeline);
register(["ColumnTransformer"], columnTransformer);
register(["FunctionTransformer"], functionTransformer);
register(HIST_GRADIENT_BOOSTING, histGradientBoosting);
const BY_NAME: Record<string, Builder> = {
  ...PREPROCESSING,
  ...ENCODERS,
  ...SVM,
  ...NEIGHBORS,
  ...NAIVE_BAYES,
};
for (const [name, builder] of Object.entries(BY_NAME)) register([name], builder);
for (
  const name of [
    ...LINEAR_HELPERS,
    ...TREE_HELPERS,
    ...GRADIENT_BOOSTING_HELPERS,
    ...HIST_GRADIENT_BOOSTING_HELPERS,
    ...NEIGHBORS_HELPERS,
  ]
) {
  HELPERS.add(name);
}

/** The scikit-learn names the pickle reader may rebuild. */
export const SKLEARN_CLASSES: SklearnClasses = {
  has: (name) => BUILDERS.has(name) || HELPERS.has(name),
};

/** The estimator classes served (short names, sorted), for docs and messages. */
export function supportedEstimators(): string[] {
  return [...BUILDERS.keys()].sort();
}

/** Rebuilds the estimator a pickle holds (its top-level object). */
export function buildEstimator(value: unknown): Estimator {
  if (!(value instanceof PyObject)) {
    throw new ModelFormatError(
      `The pickle holds a ${describe(value)}, not a scikit-learn estimator`,
    );
  }
  const builder = BUILDERS.get(value.className);
  if (builder === undefined) {
    throw new ModelFormatError(
      `${value.cls.qualified} is not an estimator this runtime can serve; ` +
        `export the model to ONNX (skl2onnx) and serve it with an ONNX runtime`,
    );
  }
  return builder(value, buildEstimator);
}
