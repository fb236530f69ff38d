/**
 * LightGBM's trees as flat typed arrays, and the walk that scores a row the
 * way LightGBM's `Tree::Predict` does: doubles throughout; a numerical split
 * sends `value <= threshold` left, with its `decision_type` bits choosing
 * how missing values go (bit 1: default left; bits 2-3: missing type None,
 * Zero or NaN); a categorical split (bit 0) sends a category left when its
 * bit is set in the node's bitset (`cat_boundaries` / `cat_threshold`), and
 * NaN, negative and unknown categories right; a linear tree (`is_linear`)
 * adds `leaf_const + Σ leaf_coeff·x` at its leaf, or gives the leaf value
 * when one of those features is NaN.
 *
 * @module
 */

import { integerField, integerList, ModelFormatError, numberList } from "./model_text.ts";

const CATEGORICAL = 1;
const DEFAULT_LEFT = 2;
const MISSING_ZERO = 1;
const MISSING_NAN = 2;
const MISSING_BITS = 3 << 2;
const ZERO_TYPE = MISSING_ZERO << 2;
/** LightGBM's `kZeroThreshold` (`1e-35f` widened to double): this close to 0 is zero. */
export const ZERO_THRESHOLD = Math.fround(1e-35);
/** Rows scored together, tree by tree (so a tree's nodes and the rows stay in cache). */
const ROW_BLOCK = 256;

/** Growable arrays while trees are read, frozen into typed arrays after. */
class Builder {
  feature: number[] = [];
  threshold: number[] = [];
  decision: number[] = [];
  left: number[] = [];
  right: number[] = [];
  catStart: number[] = [];
  catWords: number[] = [];
  catBits: number[] = [];
  leafValue: number[] = [];
  leafConst: number[] = [];
  leafFeatStart: number[] = [];
  leafFeatCount: number[] = [];
  leafFeatures: number[] = [];
  leafCoeffs: number[] = [];
  roots: number[] = [];
  linear: number[] = [];
}

/** Every tree of a model, ready to score rows. */
export class Forest {
  readonly numTrees: number;
  readonly hasLinear: boolean;
  readonly hasCategorical: boolean;
  #roots: Int32Array;
  #linear: Uint8Array;
  #feature: Int32Array;
  #threshold: Float64Array;
  #decision: Uint8Array;
  #left: Int32Array;
  #right: Int32Array;
  #catStart: Int32Array;
  #catWords: Int32Array;
  #catBits: Uint32Array;
  #leafValue: Float64Array;
  #leafConst: Float64Array;
  #leafFeatStart: Int32Array;
  #leafFeatCount: Int32Array;
  #leafFeatures: Int32Array;
  #leafCoeffs: Float64Array;

  /** Reads and checks each tree's fields; `numFeatures` bounds the feature indexes. */
  constructor(trees: Map<string, string>[], numFeatures: number) {
    const b = new Builder();
    trees.forEach((fields, t) => readTree(b, fields, `tree ${t}`, numFeatures));
    this.numTrees = trees.length;
    this.#roots = Int32Array.from(b.roots);
    this.#linear = Uint8Array.from(b.linear);
    this.#feature = Int32Array.from(b.feature);
    this.#threshold = Float64Array.from(b.threshold);
    this.#decision = Uint8Array.from(b.decision);
    this.#left = Int32Array.from(b.left);
    this.#right = Int32Array.from(b.right);
    this.#catStart = Int32Array.from(b.catStart);
    this.#catWords = Int32Array.from(b.catWords);
    this.#catBits = Uint32Array.from(b.catBits);
    this.#leafValue = Float64Array.from(b.leafValue);
    this.#leafConst = Float64Array.from(b.leafConst);
    this.#leafFeatStart = Int32Array.from(b.leafFeatStart);
    this.#leafFeatCount = Int32Array.from(b.leafFeatCount);
    this.#leafFeatures = Int32Array.from(b.leafFeatures);
    this.#leafCoeffs = Float64Array.from(b.leafCoeffs);
    this.hasLinear = b.linear.some((l) => l === 1);
    this.hasCategorical = b.decision.some((d) => (d & CATEGORICAL) !== 0);
  }

  /**
   * Adds trees `[firstTree, endTree)` to `scores` (`rows × perRow`, tree `t`
   * into column `t % perRow`), in tree order as LightGBM sums them.
   * `x` holds `rows × stride` features.
   */
  addScores(
    x: Float64Array,
    rows: number,
    stride: number,
    scores: Float64Array,
    trees: { first: number; end: number; perRow: number },
  ): void {
    const { first, end, perRow } = trees;
    // Every row still sums its trees in tree order, as LightGBM does.
    for (let block = 0; block < rows; block += ROW_BLOCK) {
      const blockEnd = Math.min(block + ROW_BLOCK, rows);
      for (let t = first; t < end; t++) {
        this.#addTree(t, x, stride, scores, { from: block, to: blockEnd, perRow });
      }
    }
  }

  #addTree(
    t: number,
    x: Float64Array,
    stride: number,
    scores: Float64Array,
    rows: { from: number; to: number; perRow: number },
  ): void {
    const { from, to, perRow } = rows;
    const feature = this.#feature;
    const threshold = this.#threshold;
    const decision = this.#decision;
    const left = this.#left;
    const right = this.#right;
    const root = this.#roots[t]!;
    const linear = this.#linear[t] === 1;
    const column = t % perRow;
    for (let row = from; row < to; row++) {
      const base = row * stride;
      let node = root;
      while (node >= 0) {
        const value = x[base + feature[node]!]!;
        const d = decision[node]!;
        // Most visits: a number at a numerical split that has no Zero missing type.
        node = (d & CATEGORICAL) === 0 && (d & MISSING_BITS) !== ZERO_TYPE && value === value
          ? value <= threshold[node]! ? left[node]! : right[node]!
          : this.#next(node, value, d);
      }
      const at = row * perRow + column;
      scores[at] = scores[at]! +
        (linear ? this.#linearLeaf(~node, x, base) : this.#leafValue[~node]!);
    }
  }

  /** The child a value goes to, every rule of `Tree::Decision` spelt out. */
  #next(node: number, value: number, d: number): number {
    if ((d & CATEGORICAL) !== 0) {
      return this.#inCategories(node, value) ? this.#left[node]! : this.#right[node]!;
    }
    const missing = (d & MISSING_BITS) >> 2;
    const v = value !== value && missing !== MISSING_NAN ? 0 : value;
    if (
      (missing === MISSING_ZERO && v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD) ||
      (missing === MISSING_NAN && v !== v)
    ) {
      return (d & DEFAULT_LEFT) !== 0 ? this.#left[node]! : this.#right[node]!;
    }
    return v <= this.#threshold[node]! ? this.#left[node]! : this.#right[node]!;
  }

  #linearLeaf(leaf: number, x: Float64Array, base: number): number {
    let output = this.#leafConst[leaf]!;
    const start = this.#leafFeatStart[leaf]!;
    const end = start + this.#leafFeatCount[leaf]!;
    for (let i = start; i < end; i++) {
      const value = x[base + this.#leafFeatures[i]!]!;
      if (value !== value) return this.#leafValue[leaf]!; // NaN: the constant leaf instead
      output += this.#leafCoeffs[i]! * value;
    }
    return output;
  }

  #inCategories(node: number, value: number): boolean {
    // C++ truncates to int: -0.5 is category 0; NaN and values past int's
    // range (INT_MIN on x86) are negative, so they go right.
    if (value !== value || value >= 2147483648 || value <= -1) return false;
    const category = Math.trunc(value);
    const word = category >>> 5;
    if (word >= this.#catWords[node]!) return false;
    return ((this.#catBits[this.#catStart[node]! + word]! >>> (category & 31)) & 1) === 1;
  }
}

/** `target.push(...source)` without spreading: a tree may have 131,072 leaves. */
function append(target: number[], source: readonly number[]): void {
  for (const value of source) target.push(value);
}

function readTree(b: Builder, fields: Map<string, string>, where: string, numFeatures: number) {
  const numLeaves = integerField(fields, "num_leaves", where);
  const numCat = integerField(fields, "num_cat", where);
  if (numLeaves < 1) throw new ModelFormatError(`${where}: num_leaves is ${numLeaves}`);
  if (numCat < 0) throw new ModelFormatError(`${where}: num_cat is ${numCat}`);
  const leafValue = numberList(fields, "leaf_value", { count: numLeaves, where });
  const isLinear = fields.has("is_linear") && integerField(fields, "is_linear", where) !== 0;
  const nodeOffset = b.feature.length;
  const leafOffset = b.leafValue.length;
  append(b.leafValue, leafValue);
  b.linear.push(isLinear ? 1 : 0);
  if (isLinear) readLinear(b, fields, { numLeaves, where, numFeatures });
  else {
    // Linear terms are indexed by leaf, so plain leaves get empty ones.
    for (let leaf = 0; leaf < numLeaves; leaf++) {
      b.leafConst.push(0);
      b.leafFeatStart.push(b.leafFeatures.length);
      b.leafFeatCount.push(0);
    }
  }
  const internal = numLeaves - 1;
  b.roots.push(internal === 0 ? ~leafOffset : nodeOffset);
  if (internal === 0) return;

  const count = { count: internal, where };
  const left = integerList(fields, "left_child", count);
  const right = integerList(fields, "right_child", count);
  const feature = integerList(fields, "split_feature", count);
  const threshold = numberList(fields, "threshold", count);
  const decision = fields.has("decision_type")
    ? integerList(fields, "decision_type", count)
    : new Array<number>(internal).fill(0);
  const seen = new Set<number>();
  const child = (node: number, c: number) => {
    // Each node but the root, and each leaf, is some node's child exactly
    // once: then every walk from the root ends at a leaf.
    const valid = c >= 0 ? c > 0 && c < internal : ~c < numLeaves;
    if (!valid || seen.has(c)) {
      throw new ModelFormatError(`${where}: node ${node} has an invalid child ${c}`);
    }
    seen.add(c);
    return c >= 0 ? nodeOffset + c : ~(leafOffset + ~c);
  };
  const bounds = numCat > 0
    ? integerList(fields, "cat_boundaries", { count: numCat + 1, where })
    : [];
  const words = numCat > 0
    ? integerList(fields, "cat_threshold", { count: bounds[numCat], where })
    : [];
  if (bounds[0] !== undefined && bounds[0] !== 0) {
    throw new ModelFormatError(`${where}: cat_boundaries does not start at 0`);
  }
  if (bounds.some((v, i) => i > 0 && v < bounds[i - 1]!)) {
    throw new ModelFormatError(`${where}: cat_boundaries is not in order`);
  }
  if (words.some((w) => w < 0 || w > 0xffffffff)) {
    throw new ModelFormatError(`${where}: cat_threshold has a value outside 32 bits`);
  }
  const catBase = b.catBits.length;
  append(b.catBits, words);
  for (let node = 0; node < internal; node++) {
    const f = feature[node]!;
    if (f < 0 || f >= numFeatures) {
      throw new ModelFormatError(`${where}: node ${node} splits on feature ${f} of ${numFeatures}`);
    }
    if (decision[node]! < 0 || decision[node]! > 127) {
      throw new ModelFormatError(`${where}: node ${node} has decision_type ${decision[node]}`);
    }
    // LightGBM reads the categorical bit only in trees that have categories.
    const d = numCat > 0 ? decision[node]! : decision[node]! & ~CATEGORICAL;
    let start = 0;
    let length = 0;
    if ((d & CATEGORICAL) !== 0) {
      const index = threshold[node]!;
      if (!Number.isInteger(index) || index < 0 || index >= numCat) {
        throw new ModelFormatError(
          `${where}: categorical node ${node} names category set ${index} of ${numCat}`,
        );
      }
      start = catBase + bounds[index]!;
      length = bounds[index + 1]! - bounds[index]!;
    }
    b.feature.push(f);
    b.threshold.push(threshold[node]!);
    b.decision.push(d);
    b.left.push(child(node, left[node]!));
    b.right.push(child(node, right[node]!));
    b.catStart.push(start);
    b.catWords.push(length);
  }
}

function readLinear(
  b: Builder,
  fields: Map<string, string>,
  tree: { numLeaves: number; where: string; numFeatures: number },
) {
  const { numLeaves, where, numFeatures } = tree;
  const leafConst = fields.has("leaf_const")
    ? numberList(fields, "leaf_const", { count: numLeaves, where })
    : new Array<number>(numLeaves).fill(0);
  const counts = fields.has("num_features")
    ? integerList(fields, "num_features", { count: numLeaves, where })
    : new Array<number>(numLeaves).fill(0);
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (counts.some((n) => n < 0)) throw new ModelFormatError(`${where}: num_features is negative`);
  const features = total > 0 ? integerList(fields, "leaf_features", { count: total, where }) : [];
  const coeffs = total > 0 ? numberList(fields, "leaf_coeff", { count: total, where }) : [];
  const bad = features.find((f) => f < 0 || f >= numFeatures);
  if (bad !== undefined) {
    throw new ModelFormatError(`${where}: a linear leaf uses feature ${bad} of ${numFeatures}`);
  }
  let at = b.leafFeatures.length;
  for (let leaf = 0; leaf < numLeaves; leaf++) {
    b.leafConst.push(leafConst[leaf]!);
    b.leafFeatStart.push(at);
    b.leafFeatCount.push(counts[leaf]!);
    at += counts[leaf]!;
  }
  append(b.leafFeatures, features);
  append(b.leafCoeffs, coeffs);
}
