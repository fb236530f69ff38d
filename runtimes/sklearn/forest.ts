/**
 * Random forests and extra-trees: the average of their trees, summed in
 * tree order then divided, as scikit-learn's `_accumulate_prediction`
 * does. A classifier averages each tree's normalized leaf distribution and
 * predicts the class of the largest average.
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
import { addTreeProba, leafOf, subTrees, treeFeatures } from "./tree.ts";

/** RandomForestClassifier and ExtraTreesClassifier. */
export function forestClassifier(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  if (a.has("n_outputs_") && a.number("n_outputs_") !== 1) {
    throw new ModelFormatError(`${a.name}: multi-output forests are not supported`);
  }
  const classes = a.array("classes_");
  const spec = a.features();
  const trees = subTrees(a.required("estimators_"), spec.count, a.name);
  if (trees.length === 0) throw new ModelFormatError(`${a.name}: estimators_ is empty`);
  const features = treeFeatures(a, trees[0]);
  const k = classes.size;
  const proba = (x: Input): Matrix => {
    const m = toMatrix(x, features);
    const data = new Float64Array(m.rows * k);
    for (const tree of trees) addTreeProba(tree, m, k, data);
    for (let i = 0; i < data.length; i++) data[i]! /= trees.length;
    return { rows: m.rows, cols: k, data };
  };
  return {
    pyClass: a.pyClass,
    predict: (x) => labelsTensor(classes, argmaxRows(proba(x))),
    predictProba: proba,
  };
}

/** RandomForestRegressor and ExtraTreesRegressor (one or several outputs). */
export function forestRegressor(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const spec = a.features();
  const trees = subTrees(a.required("estimators_"), spec.count, a.name);
  if (trees.length === 0) throw new ModelFormatError(`${a.name}: estimators_ is empty`);
  const features = treeFeatures(a, trees[0]);
  const outputs = trees[0]!.outputs;
  return {
    pyClass: a.pyClass,
    predict(x) {
      const m = toMatrix(x, features);
      const data = new Float64Array(m.rows * outputs);
      for (const tree of trees) {
        for (let r = 0; r < m.rows; r++) {
          const base = leafOf(tree, m.data, r * m.cols) * outputs * tree.width;
          for (let o = 0; o < outputs; o++) {
            data[r * outputs + o]! += tree.values[base + o * tree.width]!;
          }
        }
      }
      for (let i = 0; i < data.length; i++) data[i]! /= trees.length;
      return { data, shape: [m.rows, outputs], datatype: "FP64" };
    },
  };
}

export const FOREST_CLASSIFIERS = ["RandomForestClassifier", "ExtraTreesClassifier"];
export const FOREST_REGRESSORS = ["RandomForestRegressor", "ExtraTreesRegressor"];
