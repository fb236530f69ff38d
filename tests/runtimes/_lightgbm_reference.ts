/**
 * A deliberately plain LightGBM evaluator, written apart from
 * runtimes/lightgbm/ (it imports nothing from there) to cross-check it: it
 * keeps each tree as the text's own lists, walks them recursively, and
 * spells out the rules of LightGBM's tree.h and objectives in the most
 * direct form rather than the fastest. Slow on purpose; tests and the bench
 * only.
 *
 * @module
 */

type Fields = Record<string, string>;

interface RefTree {
  fields: Fields;
  list(key: string): number[];
  /** Categories in each categorical split's bitset, by category set index. */
  categorySets: Set<number>[];
}

/** A model held as text fields. */
export interface RefModel {
  header: Fields;
  trees: RefTree[];
}

const K_ZERO_THRESHOLD = 1.0000000180025095e-35;

function toNumber(word: string): number {
  if (word === "inf") return Infinity;
  if (word === "-inf") return -Infinity;
  if (word === "nan") return NaN;
  return parseFloat(word);
}

/** Parses a model file's text: header lines, then `Tree=` blocks up to a blank line. */
export function readReferenceModel(text: string): RefModel {
  const lines = text.replaceAll("\r", "").split("\n");
  const header: Fields = {};
  const trees: RefTree[] = [];
  let i = 0;
  for (; i < lines.length && !lines[i]!.startsWith("Tree="); i++) {
    const [key, ...rest] = lines[i]!.split("=");
    if (key) header[key] = rest.join("=");
  }
  while (i < lines.length && lines[i]!.startsWith("Tree=")) {
    const fields: Fields = {};
    for (i++; lines[i] !== ""; i++) {
      const [key, ...rest] = lines[i]!.split("=");
      fields[key!] = rest.join("=");
    }
    const lists = new Map<string, number[]>();
    const list = (key: string) => {
      // Each field is split once, on first use.
      if (!lists.has(key)) {
        const words = (fields[key] ?? "").trim().split(/ +/).filter((w) => w !== "");
        lists.set(key, words.map(toNumber));
      }
      return lists.get(key)!;
    };
    const categorySets: Set<number>[] = [];
    const bounds = list("cat_boundaries");
    const words = list("cat_threshold");
    for (let s = 0; s + 1 < bounds.length; s++) {
      const set = new Set<number>();
      for (let w = bounds[s]!; w < bounds[s + 1]!; w++) {
        for (let bit = 0; bit < 32; bit++) {
          if (Math.floor(words[w]! / 2 ** bit) % 2 === 1) set.add((w - bounds[s]!) * 32 + bit);
        }
      }
      categorySets.push(set);
    }
    trees.push({ fields, list, categorySets });
    while (lines[i] === "") i++;
  }
  return { header, trees };
}

/** Names of the rules a prediction used, to show the fixtures reach every one. */
export type Trace = Set<string>;

function goesLeft(tree: RefTree, node: number, x: number[], trace?: Trace): boolean {
  const decisionType = tree.list("decision_type")[node] ?? 0;
  const value = x[tree.list("split_feature")[node]!]!;
  const isCategorical = decisionType % 2 === 1 && Number(tree.fields.num_cat) > 0;
  if (isCategorical) {
    if (Number.isNaN(value)) return trace?.add("categorical NaN"), false;
    const category = value < 0 ? Math.ceil(value) : Math.floor(value); // C++'s (int) cast
    if (category < 0) return trace?.add("categorical negative"), false;
    if (category > 2147483647) return trace?.add("categorical past int"), false;
    const set = tree.categorySets[tree.list("threshold")[node]!]!;
    if (value !== category) trace?.add("categorical fraction");
    if (category >= 32) trace?.add(`categorical ${set.has(category) ? "in" : "not in"} word 2+`);
    trace?.add(`categorical ${set.has(category) ? "in" : "not in"} set`);
    return set.has(category);
  }
  const defaultLeft = Math.floor(decisionType / 2) % 2 === 1;
  const missingType = ["None", "Zero", "NaN", "None"][Math.floor(decisionType / 4) % 4];
  const side = defaultLeft ? "left" : "right";
  if (missingType === "NaN" && Number.isNaN(value)) {
    return trace?.add(`NaN default ${side}`), defaultLeft;
  }
  if (missingType === "Zero" && (Number.isNaN(value) || Math.abs(value) <= K_ZERO_THRESHOLD)) {
    trace?.add(`Zero type: ${Number.isNaN(value) ? "NaN" : "zero"} default ${side}`);
    return defaultLeft;
  }
  if (Number.isNaN(value)) trace?.add(`NaN as 0 (${missingType} type)`);
  const threshold = tree.list("threshold")[node]!;
  if (value === threshold) trace?.add("value equal to threshold");
  return (Number.isNaN(value) ? 0 : value) <= threshold;
}

function leafIndex(tree: RefTree, node: number, x: number[], trace?: Trace): number {
  if (node < 0) return -node - 1;
  const next = goesLeft(tree, node, x, trace)
    ? tree.list("left_child")[node]!
    : tree.list("right_child")[node]!;
  return leafIndex(tree, next, x, trace);
}

function treeOutput(tree: RefTree, x: number[], trace?: Trace): number {
  if (Number(tree.fields.num_leaves) === 1) trace?.add("one-leaf tree");
  const leaf = Number(tree.fields.num_leaves) > 1 ? leafIndex(tree, 0, x, trace) : 0;
  const leafValue = tree.list("leaf_value")[leaf]!;
  if (tree.fields.is_linear !== "1") return leafValue;
  const counts = tree.list("num_features");
  const skip = counts.slice(0, leaf).reduce((a, b) => a + b, 0);
  const features = tree.list("leaf_features").slice(skip, skip + counts[leaf]!);
  const coeffs = tree.list("leaf_coeff").slice(skip, skip + counts[leaf]!);
  if (features.some((f) => Number.isNaN(x[f]!))) {
    return trace?.add("linear leaf with NaN"), leafValue;
  }
  trace?.add(features.length > 0 ? "linear leaf" : "linear leaf, constant only");
  let sum = tree.list("leaf_const")[leaf]!;
  features.forEach((f, j) => sum += coeffs[j]! * x[f]!);
  return sum;
}

function transform(objective: string | undefined, raw: number[]): number[] {
  const words = (objective ?? "custom").split(" ");
  const setting = (key: string) =>
    Number(words.find((w) => w.startsWith(`${key}:`))?.split(":")[1]);
  const sigmoid = (s: number, v: number) => 1 / (1 + Math.exp(-s * v));
  switch (words[0]) {
    case "binary":
    case "multiclassova":
      return raw.map((v) => sigmoid(setting("sigmoid"), v));
    case "cross_entropy":
      return raw.map((v) => sigmoid(1, v));
    case "cross_entropy_lambda":
      return raw.map((v) => Math.log(1 + Math.exp(v)));
    case "multiclass": {
      const top = Math.max(...raw);
      const e = raw.map((v) => Math.exp(v - top));
      const total = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / total);
    }
    case "poisson":
    case "gamma":
    case "tweedie":
      return raw.map(Math.exp);
    case "regression":
    case "regression_l1":
    case "quantile":
    case "mape":
    case "fair":
      return words.includes("sqrt") ? raw.map((v) => (v < 0 ? -v * v : v * v)) : raw;
    default:
      return raw; // huber, lambdarank, rank_xendcg, custom
  }
}

/**
 * One row's prediction, as `Booster.predict(row, start_iteration, num_iteration)`.
 * `row` holds doubles; NaN is missing.
 */
export function referencePredict(
  model: RefModel,
  row: number[],
  iterations: { start?: number; count?: number } = {},
  trace?: Trace,
): number[] {
  const k = Number(model.header.num_tree_per_iteration ?? model.header.num_class);
  // LightGBM's C API sees |x| <= kZeroThreshold as an absent (zero) value.
  const x = row.map((v) => (Math.abs(v) <= K_ZERO_THRESHOLD ? 0 : v));
  if (row.some((v) => v !== 0 && Math.abs(v) <= K_ZERO_THRESHOLD)) trace?.add("tiny value as 0");
  const total = model.trees.length / k;
  const start = Math.min(Math.max(iterations.start ?? 0, 0), total);
  const count = (iterations.count ?? 0) > 0
    ? Math.min(iterations.count!, total - start)
    : total - start;
  const raw = new Array<number>(k).fill(0);
  for (let it = start; it < start + count; it++) {
    for (let c = 0; c < k; c++) raw[c] = raw[c]! + treeOutput(model.trees[it * k + c]!, x, trace);
  }
  const averaged = "average_output" in model.header ? raw.map((v) => v / count) : raw;
  return transform(model.header.objective, averaged);
}
