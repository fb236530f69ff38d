/**
 * The LightGBM runtime refuses requests and files it cannot serve, with
 * the error class and a message that names the problem.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type InferenceRequest, InvalidRequestError, RuntimeLoadError } from "../../src/mod.ts";
import { LightGBMModel } from "../../runtimes/lightgbm/mod.ts";
import { withTmpDir } from "../_helpers.ts";
import { IRIS_MODEL, loaded, oneSplit, rowsInput, settingsFor } from "./_lightgbm.ts";

Deno.test("LightGBMModel rejects requests it cannot answer, naming the problem", async (t) => {
  const model = await loaded(IRIS_MODEL);
  const cases: {
    name: string;
    request: InferenceRequest;
    error: new (...args: never[]) => Error;
    message: RegExp;
  }[] = [
    {
      name: "the wrong number of features",
      request: { inputs: [rowsInput([[1, 2, 3]], "FP32")] },
      error: InvalidRequestError,
      message: /expects one input of shape \[N, 4\], got \[1,3\]/,
    },
    {
      name: "a one-dimensional input",
      request: { inputs: [{ name: "x", datatype: "FP32", shape: [4], data: new Float32Array(4) }] },
      error: InvalidRequestError,
      message: /expects one input of shape \[N, 4\], got \[4\]/,
    },
    {
      name: "strings",
      request: {
        inputs: [{ name: "s", datatype: "BYTES", shape: [1, 4], data: ["a", "b", "c", "d"] }],
      },
      error: InvalidRequestError,
      message: /numeric input, got BYTES/,
    },
    {
      name: "two inputs",
      request: { inputs: [rowsInput([[1, 2, 3, 4]], "FP32"), rowsInput([[1, 2, 3, 4]], "FP32")] },
      error: Error,
      message: /exactly one input, got 2/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assert.rejects(() => model.predict(c.request), (err: Error) => {
        assert.ok(err instanceof c.error, `${err.name}: ${err.message}`);
        assert.match(err.message, c.message);
        return true;
      });
    });
  }
});

Deno.test("LightGBMModel refuses files it cannot read with the file and the reason", async (t) => {
  await using dir = await withTmpDir();
  const iris = await Deno.readTextFile(IRIS_MODEL);
  const good = oneSplit({ decisionType: 0, threshold: 0.5 });
  const cases: {
    name: string;
    content: string | Uint8Array;
    extra?: Record<string, unknown>;
    message: RegExp;
  }[] = [
    {
      name: "JSON (dump_model or XGBoost)",
      content: '{"name":"tree"}',
      message: /not a LightGBM text model: the first line is not 'tree' \(JSON is not/,
    },
    {
      name: "binary bytes",
      content: new Uint8Array([0xff, 0xfe, 0x00, 0x81]),
      message: /not a text file/,
    },
    {
      name: "no trees",
      content: "tree\nversion=v4\nnum_class=1\n",
      message: /the file holds no trees/,
    },
    {
      name: "no num_class",
      content: good.replace("num_class=1\n", ""),
      message: /header: no num_class field/,
    },
    {
      name: "no feature_infos",
      content: good.replace("feature_infos=[-1:1]\n", ""),
      message: /header: no feature_infos field/,
    },
    {
      name: "feature_names of the wrong length",
      content: good.replace("feature_names=x", "feature_names=x y"),
      message: /feature_names must name 1 features \(it names 2\)/,
    },
    {
      name: "an unknown objective",
      content: good.replace("objective=regression", "objective=survival"),
      message: /objective 'survival' is not supported/,
    },
    {
      name: "binary without a sigmoid",
      content: good.replace("objective=regression", "objective=binary"),
      message: /sigmoid must be a number above zero/,
    },
    {
      name: "multiclass not matching num_class",
      content: iris.replace("objective=multiclass num_class:3", "objective=multiclass num_class:4"),
      message: /does not fit num_class 3/,
    },
    {
      name: "a one-output objective with 3 trees per iteration",
      content: iris.replace("objective=multiclass num_class:3", "objective=regression"),
      message: /objective 'regression' has one output/,
    },
    {
      name: "tree_sizes of the wrong length",
      content: iris.replace(/^tree_sizes=(\d+) /m, "tree_sizes="),
      message: /tree_sizes lists 299 trees, the file has 300/,
    },
    {
      name: "trees out of order",
      content: iris.replace("Tree=1\n", "Tree=7\n"),
      message: /expected 'Tree=1' at line \d+, found 'Tree=7'/,
    },
    {
      name: "a child pointing back at the root",
      content: good.replace("right_child=-2", "right_child=0"),
      message: /tree 0: node 0 has an invalid child 0/,
    },
    {
      name: "a leaf used twice",
      content: good.replace("right_child=-2", "right_child=-1"),
      message: /tree 0: node 0 has an invalid child -1/,
    },
    {
      name: "a split on a feature the model does not have",
      content: good.replace("split_feature=0", "split_feature=3"),
      message: /tree 0: node 0 splits on feature 3 of 1/,
    },
    {
      name: "too few leaf values",
      content: good.replace("leaf_value=-1 1", "leaf_value=-1"),
      message: /tree 0: leaf_value has 1 values, expected 2/,
    },
    {
      name: "a value that is not a number",
      content: good.replace("threshold=0.5", "threshold=half"),
      message: /tree 0: threshold has a value that is not a number \('half'\)/,
    },
    {
      name: "a category set that does not exist",
      content: oneSplit({ decisionType: 1, threshold: 2, categories: [1] }),
      message: /categorical node 0 names category set 2 of 1/,
    },
    {
      name: "a bitset shorter than cat_boundaries says",
      content: oneSplit({ decisionType: 1, threshold: 0, categories: [1] }).replace(
        "cat_boundaries=0 1",
        "cat_boundaries=0 2",
      ),
      message: /cat_threshold has 1 values, expected 2/,
    },
    {
      name: "num_iteration that is not a whole number",
      content: good,
      extra: { num_iteration: 2.5 },
      message: /parameters\.extra\.num_iteration must be a whole number, got 2\.5/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const path = join(dir.path, `${c.name.replaceAll(" ", "_")}.txt`);
      await (typeof c.content === "string"
        ? Deno.writeTextFile(path, c.content)
        : Deno.writeFile(path, c.content));
      await assert.rejects(
        () => new LightGBMModel(settingsFor(path, c.extra)).load(),
        (err: Error) => {
          assert.ok(err instanceof RuntimeLoadError, `${err.name}: ${err.message}`);
          assert.ok(err.message.startsWith(`Cannot load LightGBM model ${path}: `), err.message);
          assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }
});
