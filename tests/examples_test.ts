/**
 * The example runtimes compute what their reference library computes: the
 * iris model reproduces scikit-learn's predictions, recorded by train.py.
 */
import assert from "node:assert/strict";
import { CustomMLModel } from "../examples/models/iris/custom_model.ts";
import { TextStatsModel } from "../examples/runtimes/text_stats.ts";
import { loadModelSettingsFile, NO_MODEL_SOURCES } from "../src/settings/load.ts";
import { resolveModelSettings } from "../src/settings/model_settings.ts";
import { fixture, repoPath } from "./_helpers.ts";

Deno.test("CustomMLModel (iris) matches scikit-learn's predict and predict_proba", async () => {
  const expected = JSON.parse(await Deno.readTextFile(fixture("iris_expected.json")));
  const settings = await loadModelSettingsFile(
    repoPath("examples/models/iris/model-settings.json"),
    { defaults: NO_MODEL_SOURCES.defaults },
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
    { defaults: NO_MODEL_SOURCES.defaults },
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
  const model = new TextStatsModel(resolveModelSettings({ name: "text-stats" }));
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

Deno.test("PricingModel (codecs) matches scikit-learn through a pd table with str and datetime columns", async () => {
  const { PricingModel } = await import("../examples/models/house-prices/pricing.ts");
  const expected = JSON.parse(await Deno.readTextFile(fixture("house_prices_expected.json")));
  const settings = await loadModelSettingsFile(
    repoPath("examples/models/house-prices/model-settings.json"),
    { defaults: NO_MODEL_SOURCES.defaults },
  );
  const model = new PricingModel(settings);
  assert.equal(await model.load(), true);
  const rows = expected.rooms.length;
  // No content types in the request: the model's metadata supplies them (pd, str, datetime).
  const response = await model.predict({
    inputs: [
      { name: "rooms", datatype: "INT32", shape: [rows, 1], data: Int32Array.from(expected.rooms) },
      { name: "area", datatype: "FP64", shape: [rows, 1], data: Float64Array.from(expected.area) },
      { name: "built", datatype: "BYTES", shape: [rows, 1], data: expected.built },
      {
        name: "city",
        datatype: "BYTES",
        shape: [rows, 1],
        data: expected.city.map((c: string) => new TextEncoder().encode(c)),
      },
    ],
  });
  assert.equal(response.parameters?.content_type, "pd");
  const price = response.outputs.find((o) => o.name === "price")!;
  expected.price.forEach((p: number, i: number) =>
    assert.ok(Math.abs((price.data as Float64Array)[i]! - p) < 1e-6)
  );
  const band = response.outputs.find((o) => o.name === "band")!;
  assert.deepEqual(band.data, ["budget", "premium", "budget", "premium"]);
  assert.equal(band.parameters?.content_type, "str");
  await assert.rejects(
    () =>
      model.predict({
        inputs: [{ name: "rooms", datatype: "INT32", shape: [1, 1], data: new Int32Array(1) }],
      }),
    { name: "InferenceError", message: "Missing column 'area'" },
  );
  await assert.rejects(
    () =>
      model.predict({
        inputs: [
          { name: "rooms", datatype: "INT32", shape: [1, 1], data: new Int32Array(1) },
          { name: "area", datatype: "FP64", shape: [1, 1], data: new Float64Array(1) },
          { name: "built", datatype: "BYTES", shape: [1, 1], data: ["2000-01-01"] },
          { name: "city", datatype: "BYTES", shape: [1, 1], data: ["Paris"] },
        ],
      }),
    { name: "InferenceError", message: "Column 'city', row 0: expected one of Lima,Oslo,Pune" },
  );
});
