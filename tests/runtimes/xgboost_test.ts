/**
 * The built-in XGBoost runtime reproduces XGBoost: every fixture model,
 * saved by python3-xgboost as JSON and UBJSON (tests/fixtures/xgboost/
 * make_models.py), must predict what XGBoost's scikit-learn interface
 * predicted for the same rows, missing values included.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InferenceError, type InferenceRequest, InvalidRequestError } from "../../src/mod.ts";
import { ModelSettingsSchema } from "../../src/settings/model_settings.ts";
import { XGBoostModel } from "../../runtimes/xgboost/mod.ts";
import { fixture, type Json, withTmpDir } from "../_helpers.ts";

const EXPECTED: Record<string, Json> = JSON.parse(
  await Deno.readTextFile(fixture("xgboost", "expected.json")),
);
const MODELS = Object.keys(EXPECTED).filter((name) => !name.startsWith("_"));

const settingsFor = (uri: string) =>
  ModelSettingsSchema.parse({
    name: "xgb",
    implementation: "mlserver_xgboost.XGBoostModel",
    parameters: { uri },
  });

async function loaded(uri: string): Promise<XGBoostModel> {
  const model = new XGBoostModel(settingsFor(uri));
  assert.equal(await model.load(), true);
  return model;
}

/** Rows as an FP32 input; null (a missing value in expected.json) becomes NaN. */
function rowsInput(rows: (number | null)[][]): InferenceRequest["inputs"][number] {
  return {
    name: "input-0",
    datatype: "FP32",
    shape: [rows.length, rows[0]!.length],
    data: Float32Array.from(rows.flat(), (v) => v ?? NaN),
  };
}

/**
 * Equal within two float32 steps: XGBoost's `expf` and JavaScript's
 * `Math.exp` may round one step apart, and softmax divides two such values.
 */
function assertClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const magnitude = Math.abs(expected[i]!) || 2 ** -126;
    const tolerance = 2 * 2 ** (Math.floor(Math.log2(magnitude)) - 23);
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= tolerance,
      `${what}[${i}]: ${actual[i]} vs XGBoost's ${expected[i]}`,
    );
  }
}

Deno.test("XGBoostModel predicts what XGBoost predicts, from JSON and UBJSON files", async (t) => {
  for (const name of MODELS) {
    for (const format of ["json", "ubj"]) {
      await t.step(`${name}.${format}`, async () => {
        const expected = EXPECTED[name];
        const model = await loaded(fixture("xgboost", `${name}.${format}`));
        const classifier = expected.estimator === "classifier";
        const withProba = expected.predict_proba !== undefined;
        const response = await model.predict({
          inputs: [rowsInput(expected.inputs)],
          outputs: withProba ? [{ name: "predict" }, { name: "predict_proba" }] : undefined,
        });
        const rows = expected.inputs.length;
        const predict = response.outputs[0]!;
        assert.equal(predict.name, "predict");
        assert.deepEqual(predict.shape, [rows, 1]);
        // numpy's dtype of XGBoost's answer, as MLServer would send it.
        const datatypes: Record<string, string> = {
          int64: "INT64",
          int32: "INT32",
          float32: "FP32",
        };
        assert.equal(predict.datatype, datatypes[expected.predict_dtype]);
        if (classifier) {
          assert.deepEqual(
            Array.from(predict.data as ArrayLike<number | bigint>, Number),
            expected.predict,
          );
        } else {
          assertClose(predict.data as Float32Array, expected.predict, "predict");
        }
        if (withProba) {
          const proba = response.outputs[1]!;
          assert.equal(proba.datatype, "FP32");
          assert.deepEqual(proba.shape, [rows, expected.predict_proba[0].length]);
          assertClose(proba.data as Float32Array, expected.predict_proba.flat(), "predict_proba");
        }
      });
    }
  }
});

Deno.test("XGBoostModel finds model.bst, model.json or model.ubj in a folder, by content", async (t) => {
  await using dir = await withTmpDir();
  const expected = EXPECTED.iris_softprob;
  for (
    const [file, source] of [
      ["model.json", "iris_softprob.json"],
      ["model.ubj", "iris_softprob.ubj"],
      // XGBoost 2.1+ writes UBJSON whatever the extension: model.bst may hold it.
      ["model.bst", "iris_softprob.ubj"],
    ] as const
  ) {
    await t.step(`${file} holding ${source}`, async () => {
      const folder = join(dir.path, file);
      await Deno.mkdir(folder);
      await Deno.copyFile(fixture("xgboost", source), join(folder, file));
      const model = await loaded(folder);
      const response = await model.predict({ inputs: [rowsInput(expected.inputs)] });
      assert.deepEqual(
        Array.from(response.outputs[0]!.data as BigInt64Array, Number),
        expected.predict,
      );
    });
  }
});

Deno.test("XGBoostModel accepts a pd request (one column per feature) and integer tensors", async () => {
  const model = await loaded(fixture("xgboost", "diabetes_regressor.json"));
  const expected = EXPECTED.diabetes_regressor;
  const rows: (number | null)[][] = expected.inputs;
  const columns = rows[0]!.map((_, f) => ({
    name: `f${f}`,
    datatype: "FP64" as const,
    shape: [rows.length],
    data: Float64Array.from(rows, (row) => Math.fround(row[f] ?? NaN)),
  }));
  const table = await model.predict({ parameters: { content_type: "pd" }, inputs: columns });
  assertClose(table.outputs[0]!.data as Float32Array, expected.predict, "pd predict");

  const iris = await loaded(fixture("xgboost", "iris_softprob.json"));
  const ints = await iris.predict({
    inputs: [{ name: "x", datatype: "INT32", shape: [1, 4], data: new Int32Array([7, 3, 6, 2]) }],
    outputs: [{ name: "predict_proba" }],
  });
  const floats = await iris.predict({
    inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: new Float32Array([7, 3, 6, 2]) }],
    outputs: [{ name: "predict_proba" }],
  });
  assert.deepEqual(ints.outputs[0]!.data, floats.outputs[0]!.data);
  const doubles = await iris.predict({
    inputs: [{ name: "x", datatype: "FP64", shape: [1, 4], data: new Float64Array([7, 3, 6, 2]) }],
    outputs: [{ name: "predict_proba" }],
  });
  assert.deepEqual(doubles.outputs[0]!.data, floats.outputs[0]!.data);
});

Deno.test("XGBoostModel reads a pd request by the model's feature names, in any column order", async () => {
  const model = await loaded(fixture("xgboost", "iris_named.json"));
  const expected = EXPECTED.iris_named;
  const rows: (number | null)[][] = expected.inputs;
  const names = ["sepal_length", "sepal_width", "petal_length"];
  const column = (f: number) => ({
    name: names[f]!,
    datatype: "FP32" as const,
    shape: [rows.length],
    data: Float32Array.from(rows, (row) => row[f] ?? NaN),
  });
  // Columns sent in reverse order still line up with the features by name.
  const reversed = await model.predict({
    parameters: { content_type: "pd" },
    inputs: [column(2), column(1), column(0)],
  });
  assertClose(reversed.outputs[0]!.data as Float32Array, expected.predict, "by name");
  await assert.rejects(
    () =>
      model.predict({
        parameters: { content_type: "pd" },
        inputs: [column(0), column(1), { ...column(2), name: "petal_width" }],
      }),
    (err: Error) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.equal(
        err.message,
        "XGBoostModel was trained with features sepal_length, sepal_width, petal_length; " +
          "the request has no column petal_length",
      );
      return true;
    },
  );
});

Deno.test("XGBoostModel reads default_left as booleans (XGBoost before 1.6)", async () => {
  await using dir = await withTmpDir();
  const document = JSON.parse(await Deno.readTextFile(fixture("xgboost", "iris_binary.json")));
  for (const tree of document.learner.gradient_booster.model.trees) {
    tree.default_left = tree.default_left.map((flag: number) => flag === 1);
  }
  const path = join(dir.path, "old.json");
  await Deno.writeTextFile(path, JSON.stringify(document));
  const expected = EXPECTED.iris_binary;
  const response = await (await loaded(path)).predict({ inputs: [rowsInput(expected.inputs)] });
  assert.deepEqual(
    Array.from(response.outputs[0]!.data as BigInt64Array, Number),
    expected.predict,
  );
});

Deno.test("XGBoostModel rejects requests it cannot answer, naming the problem", async (t) => {
  const classifier = await loaded(fixture("xgboost", "iris_binary.json"));
  const regressor = await loaded(fixture("xgboost", "diabetes_regressor.ubj"));
  const input = rowsInput([[5.1, 3.5, 1.4, 0.2]]);
  const cases: {
    name: string;
    model: XGBoostModel;
    request: InferenceRequest;
    error: new (...args: never[]) => Error;
    message: RegExp;
  }[] = [
    {
      name: "an unknown output",
      model: classifier,
      request: { inputs: [input], outputs: [{ name: "scores" }] },
      error: InferenceError,
      message: /only supports 'predict' and 'predict_proba' as outputs \(scores was received\)/,
    },
    {
      name: "predict_proba from a regressor",
      model: regressor,
      request: {
        inputs: [rowsInput([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])],
        outputs: [{ name: "predict_proba" }],
      },
      error: InferenceError,
      message: /XGBRegressor models do not support 'predict_proba'/,
    },
    {
      name: "predict_proba from a multi:softmax model",
      model: await loaded(fixture("xgboost", "iris_softmax.json")),
      request: { inputs: [input], outputs: [{ name: "predict_proba" }] },
      error: InferenceError,
      message: /multi:softmax models do not support 'predict_proba'/,
    },
    {
      name: "the wrong number of features",
      model: classifier,
      request: { inputs: [rowsInput([[1, 2, 3]])] },
      error: InvalidRequestError,
      message: /expects one input of shape \[N, 4\], got \[1,3\]/,
    },
    {
      name: "strings",
      model: classifier,
      request: {
        inputs: [{ name: "s", datatype: "BYTES", shape: [1, 4], data: ["a", "b", "c", "d"] }],
      },
      error: InvalidRequestError,
      message: /numeric input, got BYTES/,
    },
    {
      name: "two inputs",
      model: classifier,
      request: { inputs: [input, input] },
      error: Error,
      message: /exactly one input, got 2/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assert.rejects(async () => await c.model.predict(c.request), (err: Error) => {
        assert.ok(err instanceof c.error, `${err.name}: ${err.message}`);
        assert.match(err.message, c.message);
        return true;
      });
    });
  }
});

Deno.test("XGBoostModel refuses files it cannot read with the file and the reason", async (t) => {
  await using dir = await withTmpDir();
  const original = JSON.parse(await Deno.readTextFile(fixture("xgboost", "iris_binary.json")));
  const tree = () => original.learner.gradient_booster.model.trees[0];
  const cases: { name: string; content: () => Uint8Array | string; message: RegExp }[] = [
    {
      name: "XGBoost's old binary format",
      content: () => new Uint8Array([0x00, 0x00, 0x00, 0x3f, 0x04, 0x00, 0x00, 0x00]),
      message: /old binary format is not read: re-save the model/,
    },
    {
      name: "a truncated UBJSON file",
      content: () => Deno.readFileSync(fixture("xgboost", "iris_binary.ubj")).subarray(0, 500),
      message: /UBJSON: value at byte \d+ needs \d+ bytes/,
    },
    {
      name: "an unsupported objective",
      content: () => {
        const copy = structuredClone(original);
        copy.learner.objective.name = "survival:aft";
        return JSON.stringify(copy);
      },
      message: /objective 'survival:aft' is not supported/,
    },
    {
      name: "a tree whose child points back (a cycle)",
      content: () => {
        const copy = structuredClone(original);
        copy.learner.gradient_booster.model.trees[0].left_children[1] = 0;
        return JSON.stringify(copy);
      },
      message: /tree 0: node 1 has an invalid child 0/,
    },
    {
      name: "a split on a feature the model does not have",
      content: () => {
        const copy = structuredClone(original);
        copy.learner.gradient_booster.model.trees[0].split_indices[0] = 9;
        return JSON.stringify(copy);
      },
      message: /tree 0: node 0 splits on feature 9 of 4/,
    },
    {
      name: "a categorical split",
      content: () => {
        const copy = structuredClone(original);
        copy.learner.gradient_booster.model.trees[0].split_type[0] = 1;
        return JSON.stringify(copy);
      },
      message: /categorical split/,
    },
    {
      name: "arrays of different lengths",
      content: () => {
        const copy = structuredClone(original);
        copy.learner.gradient_booster.model.trees[0].default_left.pop();
        return JSON.stringify(copy);
      },
      message: new RegExp(`default_left has ${tree().left_children.length - 1} entries`),
    },
    {
      name: "a tree_info shorter than the trees",
      content: () => {
        const copy = structuredClone(original);
        copy.learner.gradient_booster.model.tree_info.pop();
        return JSON.stringify(copy);
      },
      message: /tree_info has 7 entries for 8 trees/,
    },
    {
      name: "a base_score list that fits no output count",
      content: () => {
        const copy = structuredClone(original);
        copy.learner.learner_model_param.base_score = "[5E-1,5E-1]";
        return JSON.stringify(copy);
      },
      message: /base_score has 2 values for 1 outputs per row/,
    },
    {
      name: "a DART model with fewer weights than trees",
      content: () => {
        const dart = JSON.parse(Deno.readTextFileSync(fixture("xgboost", "diabetes_dart.json")));
        dart.learner.gradient_booster.weight_drop.pop();
        return JSON.stringify(dart);
      },
      message: /weight_drop has 7 entries for 8 trees/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const path = join(dir.path, `${c.name.replaceAll(" ", "_")}.json`);
      const content = c.content();
      await (typeof content === "string"
        ? Deno.writeTextFile(path, content)
        : Deno.writeFile(path, content));
      const model = new XGBoostModel(settingsFor(path));
      await assert.rejects(() => model.load(), (err: Error) => {
        assert.ok(err.message.startsWith(`Cannot load XGBoost model ${path}: `), err.message);
        assert.match(err.message, c.message);
        return true;
      });
    });
  }
});
