/**
 * The example runtimes compute what their reference library computes: the
 * iris model reproduces scikit-learn's predictions, recorded by train.py.
 */
import assert from "node:assert/strict";
import { CustomMLModel } from "../examples/models/iris/custom_model.ts";
import { TextStatsModel } from "../examples/runtimes/text_stats.ts";
import { loadModelSettingsFile } from "../src/settings/load.ts";
import { fixture, repoPath } from "./_helpers.ts";

Deno.test("CustomMLModel (iris) matches scikit-learn's predict and predict_proba", async () => {
  const expected = JSON.parse(await Deno.readTextFile(fixture("iris_expected.json")));
  const settings = await loadModelSettingsFile(
    repoPath("examples/models/iris/model-settings.json"),
    { env: {} },
  );
  const model = new CustomMLModel(settings);
  assert.equal(await model.load(), true);
  const rows = expected.inputs.length;
  const response = await model.predict({
    inputs: [{
      name: "input-0",
      datatype: "FP32",
      shape: [rows, 4],
      data: new Float32Array(expected.inputs.flat()),
    }],
  });
  assert.deepEqual(
    Array.from(response.outputs[0]!.data as BigInt64Array, Number),
    expected.predict,
  );
  const proba = response.outputs[1]!.data as Float32Array;
  expected.predict_proba.flat().forEach((p: number, i: number) => {
    assert.ok(Math.abs(proba[i]! - p) < 1e-5, `probability ${i}: ${proba[i]} vs scikit-learn ${p}`);
  });
});

Deno.test("CustomMLModel rejects inputs of the wrong shape or datatype", async () => {
  const settings = await loadModelSettingsFile(
    repoPath("examples/models/iris/model-settings.json"),
    { env: {} },
  );
  const model = new CustomMLModel(settings);
  await model.load();
  assert.throws(
    () =>
      model.predict({
        inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 3], data: new Float32Array(3) }],
      }),
    { name: "InferenceError", message: "Input 'input-0' must have shape [N, 4], got [1,3]" },
  );
  assert.throws(
    () =>
      model.predict({
        inputs: [{ name: "input-0", datatype: "INT32", shape: [1, 4], data: new Int32Array(4) }],
      }),
    { name: "InferenceError", message: "Input 'input-0' must be FP32 or FP64, got INT32" },
  );
});

Deno.test("TextStatsModel counts characters, words and lines", async () => {
  const model = new TextStatsModel({ name: "text-stats" });
  const response = await model.predict({
    inputs: [{
      name: "text",
      datatype: "BYTES",
      shape: [3],
      data: ["héllo wörld", new TextEncoder().encode("a\nb"), ""],
    }],
  });
  assert.deepEqual(response.outputs.map((o) => Array.from(o.data as Int32Array)), [[11, 3, 0], [
    2,
    2,
    0,
  ], [1, 2, 0]]);
});
