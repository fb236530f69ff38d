/**
 * Shared by the LightGBM runtime tests: the fixtures, a loaded model, row
 * inputs, the 1e-6 comparison and a one-split model builder.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { InferenceRequest, ModelSettings, ResponseOutput } from "../../src/mod.ts";
import { ModelSettingsSchema } from "../../src/settings/model_settings.ts";
import { LightGBMModel } from "../../runtimes/lightgbm/mod.ts";
import { fixture, type Json } from "../_helpers.ts";

/** Hand-made fixture models and their rows (make_models.py). */
export const CASES: Record<string, { file: string; inputs: (number | null)[][] }> = JSON.parse(
  await Deno.readTextFile(fixture("lightgbm", "cases.json")),
);
/** sklearn's iris data and labels. */
export const IRIS: Json = JSON.parse(await Deno.readTextFile(fixture("lightgbm", "iris.json")));
/** MLServer's iris model (SOURCE.md). */
export const IRIS_MODEL = fixture("lightgbm", "iris-lightgbm.bst");

/** Resolved settings for a model file, with `parameters.extra`. */
export const settingsFor = (uri: string, extra: Record<string, unknown> = {}): ModelSettings =>
  ModelSettingsSchema.parse({
    name: "lgbm",
    implementation: "mlserver_lightgbm.LightGBMModel",
    parameters: { uri, extra },
  });

/** A loaded LightGBMModel. */
export async function loaded(
  uri: string,
  extra: Record<string, unknown> = {},
): Promise<LightGBMModel> {
  const model = new LightGBMModel(settingsFor(uri, extra));
  assert.equal(await model.load(), true);
  return model;
}

/** Rows with null (missing in JSON) as NaN. */
export const toDoubles = (rows: (number | null)[][]): number[][] =>
  rows.map((r) => r.map((v) => v ?? NaN));

/** Rows as one FP32 or FP64 input. */
export function rowsInput(
  rows: number[][],
  datatype: "FP32" | "FP64",
): InferenceRequest["inputs"][number] {
  const flat = rows.flat();
  return {
    name: "input-0",
    datatype,
    shape: [rows.length, rows[0]!.length],
    data: datatype === "FP32" ? Float32Array.from(flat) : Float64Array.from(flat),
  };
}

/** Every value within 1e-6 relative (absolute near zero) of the reference's. */
export function assertNear(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(Math.abs(expected[i]!), 1e-12);
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= 1e-6 * scale,
      `${what}[${i}]: ${actual[i]} vs the reference's ${expected[i]}`,
    );
  }
}

/** The `predict` output, checked for MLServer's name, datatype and shape. */
export function predictOutput(output: ResponseOutput, rows: number, perRow: number): Float64Array {
  assert.equal(output.name, "predict");
  assert.equal(output.datatype, "FP64");
  assert.deepEqual(output.shape, [rows, perRow]);
  return output.data as Float64Array;
}

/** A one-split model: left leaf -1, right leaf +1, so the prediction names the side. */
export function oneSplit(
  split: { decisionType: number; threshold: number; categories?: number[] },
  header: Record<string, string> = {},
): string {
  const cats = split.categories;
  const fields = {
    num_leaves: "2",
    num_cat: cats === undefined ? "0" : "1",
    split_feature: "0",
    threshold: String(split.threshold),
    decision_type: String(split.decisionType),
    left_child: "-1",
    right_child: "-2",
    leaf_value: "-1 1",
    ...(cats === undefined
      ? {}
      : { cat_boundaries: `0 ${cats.length}`, cat_threshold: cats.join(" ") }),
    shrinkage: "1",
  };
  const head = {
    version: "v4",
    num_class: "1",
    num_tree_per_iteration: "1",
    label_index: "0",
    max_feature_idx: "0",
    objective: "regression",
    feature_names: "x",
    feature_infos: "[-1:1]",
    ...header,
  };
  const lines = (record: Record<string, string>) =>
    Object.entries(record).map(([k, v]) => `${k}=${v}\n`).join("");
  return `tree\n${lines(head)}\nTree=0\n${lines(fields)}\n\nend of trees\n`;
}

/** Which side of a one-split model a value goes. */
export async function side(
  path: string,
  value: number,
  datatype: "FP32" | "FP64" = "FP64",
): Promise<"left" | "right"> {
  const model = await loaded(path);
  const response = await model.predict({ inputs: [rowsInput([[value]], datatype)] });
  return (response.outputs[0]!.data as Float64Array)[0] === -1 ? "left" : "right";
}
