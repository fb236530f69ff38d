/**
 * scikit-learn's `Tree` (`sklearn.tree._tree.Tree`) as flat typed arrays,
 * and the decision trees built on it. A tree compares float32 features
 * (scikit-learn casts X to float32 before predicting) with float64
 * thresholds: `x <= threshold` goes left. Nodes are a numpy record array
 * read by field name, so the layouts of every version load: the seven
 * fields up to 1.2, plus `missing_go_to_left` from 1.3 (where NaN follows
 * that flag; before 1.3 scikit-learn refuses NaN, and so does this).
 *
 * @module
 */

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
import { fieldFloat64, hasField, NdArray, toFloat64 } from "./ndarray.ts";
import { PyObject } from "./py_values.ts";

/** One fitted tree. `values` is `[node][output][class]`, row-major. */
export interface FlatTree {
  nodeCount: number;
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  /** 1 where a NaN goes left; absent before scikit-learn 1.3. */
  missingLeft: Uint8Array | undefined;
  values: Float64Array;
  outputs: number;
  /** Values per output (the largest class count; 1 for regression). */
  width: number;
}

/** Reads a pickled `Tree` and checks that its children stay inside it. */
export function readTree(obj: PyObject, features: number | undefined): FlatTree {
  const a = new Attributes(obj);
  const nodes = a.array("nodes");
  const valuesArray = a.array("values");
  const nodeCount = nodes.size;
  if (a.has("node_count") && a.number("node_count") !== nodeCount) {
    throw new ModelFormatError(`Tree: node_count ${a.number("node_count")} but ${nodeCount} nodes`);
  }
  const [valueNodes, outputs, width] = valuesArray.shape.length === 3
    ? valuesArray.shape as [number, number, number]
    : [valuesArray.shape[0]!, 1, valuesArray.shape[1] ?? 1];
  if (valueNodes !== nodeCount) {
    throw new ModelFormatError(`Tree: ${valueNodes} value rows for ${nodeCount} nodes`);
  }
  const tree: FlatTree = {
    nodeCount,
    left: Int32Array.from(fieldFloat64(nodes, "left_child")),
    right: Int32Array.from(fieldFloat64(nodes, "right_child")),
    feature: Int32Array.from(fieldFloat64(nodes, "feature")),
    threshold: fieldFloat64(nodes, "threshold"),
    missingLeft: hasField(nodes, "missing_go_to_left")
      ? Uint8Array.from(fieldFloat64(nodes, "missing_go_to_left"))
      : undefined,
    values: toFloat64(valuesArray),
    outputs,
    width,
  };
  for (let n = 0; n < nodeCount; n++) {
    const l = tree.left[n]!;
    if (l === -1) continue;
    const r = tree.right[n]!;
    // Children follow their parent in scikit-learn's depth-first layout, so no walk can loop.
    if (l <= n || r <= n || l >= nodeCount || r >= nodeCount) {
      throw new ModelFormatError(`Tree: node ${n} has children ${l} and ${r} outside the tree`);
    }
    const f = tree.feature[n]!;
    if (f < 0 || (features !== undefined && f >= features)) {
      throw new ModelFormatError(`Tree: node ${n} splits on feature ${f}`);
    }
  }
  return tree;
}

/** The leaf a row ends in (`Tree.apply`). */
export function leafOf(tree: FlatTree, data: Float64Array, offset: number): number {
  const { left, right, feature, threshold, missingLeft } = tree;
  let node = 0;
  while (left[node] !== -1) {
    const x = Math.fround(data[offset + feature[node]!]!);
    if (x !== x) node = missingLeft !== undefined && missingLeft[node] ? left[node]! : right[node]!;
    else node = x <= threshold[node]! ? left[node]! : right[node]!;
  }
  return node;
}

/**
 * Adds `scale` times each row's leaf value (output 0, class 0) to
 * `out[row * stride + column]`: the inner loop of boosting, with the tree's
 * arrays held in locals.
 */
export function addLeafValues(
  tree: FlatTree,
  m: Matrix,
  scale: number,
  out: Float64Array,
  target: { stride: number; column: number },
): void {
  const { left, right, feature, threshold, missingLeft, values, width } = tree;
  const { data, rows, cols } = m;
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    let node = 0;
    while (left[node] !== -1) {
      const x = Math.fround(data[offset + feature[node]!]!);
      if (x <= threshold[node]!) node = left[node]!;
      else if (x !== x && missingLeft !== undefined && missingLeft[node]) node = left[node]!;
      else node = right[node]!;
    }
    out[r * target.stride + target.column]! += scale * values[node * width]!;
  }
}

/** The input checks of a tree: float32 features, NaN only where the tree knows where it goes. */
export function treeFeatures(a: Attributes, tree: FlatTree | undefined): FeatureSpec {
  return { ...a.features(), allowNaN: tree?.missingLeft !== undefined };
}

/** A tree classifier's normalized leaf distribution (`predict_proba` of one tree). */
export function addTreeProba(tree: FlatTree, m: Matrix, classes: number, out: Float64Array): void {
  for (let r = 0; r < m.rows; r++) {
    const base = leafOf(tree, m.data, r * m.cols) * tree.width;
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += tree.values[base + c]!;
    if (sum === 0) sum = 1;
    for (let c = 0; c < classes; c++) out[r * classes + c]! += tree.values[base + c]! / sum;
  }
}

function singleOutput(a: Attributes): void {
  if (a.has("n_outputs_") && a.number("n_outputs_") !== 1) {
    throw new ModelFormatError(
      `${a.name}: multi-output trees (n_outputs_ = ${a.number("n_outputs_")}) are not supported`,
    );
  }
}

/** DecisionTreeClassifier and ExtraTreeClassifier. */
export function treeClassifier(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  singleOutput(a);
  const classes = a.array("classes_");
  const spec0 = a.features();
  const tree = readTree(a.object("tree_", "Tree"), spec0.count);
  const features = treeFeatures(a, tree);
  const k = classes.size;
  const proba = (x: Input): Matrix => {
    const m = toMatrix(x, features);
    const data = new Float64Array(m.rows * k);
    addTreeProba(tree, m, k, data);
    return { rows: m.rows, cols: k, data };
  };
  return {
    pyClass: a.pyClass,
    predict: (x) => labelsTensor(classes, argmaxRows(proba(x))),
    predictProba: proba,
  };
}

/** DecisionTreeRegressor and ExtraTreeRegressor (one or several outputs). */
export function treeRegressor(obj: PyObject): Estimator {
  const a = new Attributes(obj);
  const spec0 = a.features();
  const tree = readTree(a.object("tree_", "Tree"), spec0.count);
  const features = treeFeatures(a, tree);
  return {
    pyClass: a.pyClass,
    predict(x) {
      const m = toMatrix(x, features);
      const outputs = tree.outputs;
      const data = new Float64Array(m.rows * outputs);
      for (let r = 0; r < m.rows; r++) {
        const base = leafOf(tree, m.data, r * m.cols) * outputs * tree.width;
        for (let o = 0; o < outputs; o++) {
          data[r * outputs + o] = tree.values[base + o * tree.width]!;
        }
      }
      return { data, shape: [m.rows, outputs], datatype: "FP64" };
    },
  };
}

/** The trees of a forest or boosting ensemble, each a pickled tree estimator. */
export function subTrees(list: unknown, features: number | undefined, owner: string): FlatTree[] {
  const items = list instanceof NdArray ? list.objects : list;
  if (!Array.isArray(items)) throw new ModelFormatError(`${owner}: estimators_ is not a list`);
  return items.map((item, i) => {
    if (!(item instanceof PyObject) || !new Attributes(item).has("tree_")) {
      throw new ModelFormatError(`${owner}: estimators_[${i}] is not a fitted tree`);
    }
    return readTree(new Attributes(item).object("tree_", "Tree"), features);
  });
}

/** Tree classes and the helper class their pickles hold. */
export const TREE_CLASSIFIERS = ["DecisionTreeClassifier", "ExtraTreeClassifier"];
export const TREE_REGRESSORS = ["DecisionTreeRegressor", "ExtraTreeRegressor"];
export const TREE_HELPERS = ["Tree"];
