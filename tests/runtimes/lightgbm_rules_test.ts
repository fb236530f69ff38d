/**
 * The LightGBM runtime follows each split rule of LightGBM's tree.h
 * (decision_type bits, missing types, categorical bitsets) and its Python
 * package's input conversion, checked on one-split models whose answer
 * names the side taken, against answers derived by hand from those rules.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { InferenceRequest } from "../../src/mod.ts";
import { withTmpDir } from "../_helpers.ts";
import { readReferenceModel, referencePredict } from "./_lightgbm_reference.ts";
import { loaded, oneSplit, side } from "./_lightgbm.ts";

/** [rule, decision_type, threshold, value, side]; decision_type bits: 1 categorical, 2 default left, 4·missing type. */
type NumericalCase = [string, number, number, number, "left" | "right"];

const NUMERICAL: NumericalCase[] = [
  ["a value equal to the threshold goes left", 0, 0.25, 0.25, "left"],
  ["a value one step above the threshold goes right", 0, 0.25, 0.25000000000000006, "right"],
  ["None type: NaN is 0 (left of 0.5)", 0, 0.5, NaN, "left"],
  ["None type: NaN is 0 (right of -0.5), default left ignored", 2, -0.5, NaN, "right"],
  ["None type: -1e-36 is 0 (left of 1e-35)", 0, 1.0000000180025095e-35, -1e-36, "left"],
  // -1e-35f itself is at most kZeroThreshold away from 0: it reads as 0, right of -1e-35f.
  [
    "None type: -1e-35 is 0 (right of -1e-35)",
    0,
    -1.0000000180025095e-35,
    -1.0000000180025095e-35,
    "right",
  ],
  ["Zero type, default right: 0 goes right although 0 <= 0.5", 4, 0.5, 0, "right"],
  ["Zero type, default right: NaN goes right", 4, 0.5, NaN, "right"],
  ["Zero type, default right: 1e-36 counts as zero", 4, 0.5, 1e-36, "right"],
  ["Zero type, default left: 0 goes left although 0 > -0.5", 6, -0.5, 0, "left"],
  ["Zero type: a value that is not zero compares", 6, -0.5, 0.1, "right"],
  ["NaN type, default right: NaN goes right", 8, 0.5, NaN, "right"],
  ["NaN type, default left: NaN goes left", 10, -0.5, NaN, "left"],
  ["NaN type: 0 compares (left of 0.5)", 8, 0.5, 0, "left"],
  ["the categorical bit is ignored in a tree without categories", 1, 0.5, 0.25, "left"],
];

/** [rule, decision_type, value, side], on categories {0, 34}: bitset words 1 and 4. */
type CategoricalCase = [string, number, number, "left" | "right"];

const CATEGORICAL: CategoricalCase[] = [
  ["category 0, in the set, goes left", 1, 0, "left"],
  ["category 34 (second word) goes left", 1, 34, "left"],
  ["34.9 truncates to category 34", 1, 34.9, "left"],
  ["-0.5 truncates to category 0", 1, -0.5, "left"],
  ["category 33, not in the set, goes right", 1, 33, "right"],
  ["category 64, past the bitset, goes right", 1, 64, "right"],
  ["a negative category goes right", 1, -1, "right"],
  ["NaN goes right, even with default left and NaN type", 11, NaN, "right"],
  ["a category past int's range goes right", 1, 2 ** 31, "right"],
];

Deno.test("LightGBMModel follows each split rule of LightGBM's tree.h", async (t) => {
  await using dir = await withTmpDir();
  const cases = [
    ...NUMERICAL.map(([name, decisionType, threshold, value, expected]) => ({
      name,
      split: { decisionType, threshold },
      value,
      expected,
    })),
    ...CATEGORICAL.map(([name, decisionType, value, expected]) => ({
      name,
      split: { decisionType, threshold: 0, categories: [1, 4] },
      value,
      expected,
    })),
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const path = join(dir.path, "split.txt");
      await Deno.writeTextFile(path, oneSplit(c.split));
      assert.equal(await side(path, c.value), c.expected);
      // The reference walker reads the rule the same way.
      const reference = readReferenceModel(await Deno.readTextFile(path));
      assert.equal(referencePredict(reference, [c.value])[0] === -1 ? "left" : "right", c.expected);
    });
  }
});

Deno.test("LightGBMModel passes integer inputs through float32, as LightGBM's Python package does", async () => {
  await using dir = await withTmpDir();
  const path = join(dir.path, "model.txt");
  // 16777217 is not a float32: it becomes 16777216, left of the threshold.
  await Deno.writeTextFile(path, oneSplit({ decisionType: 0, threshold: 16777216.5 }));
  const model = await loaded(path);
  const answer = async (input: InferenceRequest["inputs"][number]) =>
    ((await model.predict({ inputs: [input] })).outputs[0]!.data as Float64Array)[0];
  const one = { name: "x", shape: [1, 1] };
  assert.equal(
    await answer({ ...one, datatype: "INT64", data: new BigInt64Array([16777217n]) }),
    -1,
  );
  assert.equal(await answer({ ...one, datatype: "INT32", data: new Int32Array([16777217]) }), -1);
  assert.equal(await answer({ ...one, datatype: "FP32", data: new Float32Array([16777217]) }), -1);
  assert.equal(await answer({ ...one, datatype: "FP64", data: new Float64Array([16777217]) }), 1);
});
