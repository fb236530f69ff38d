/**
 * The built-in LightGBM runtime against an independent reference walker
 * (tests/runtimes/_lightgbm_reference.ts) on every fixture of
 * tests/fixtures/lightgbm/ (made by make_models.py), and against the iris
 * labels for MLServer's real iris model.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type InferenceRequest, InvalidRequestError, RuntimeLoadError } from "../../src/mod.ts";
import { LightGBMModel } from "../../runtimes/lightgbm/mod.ts";
import { fixture, withTmpDir } from "../_helpers.ts";
import { readReferenceModel, referencePredict } from "./_lightgbm_reference.ts";
import {
  assertNear,
  CASES,
  IRIS,
  IRIS_MODEL,
  loaded,
  predictOutput,
  rowsInput,
  settingsFor,
  toDoubles,
} from "./_lightgbm.ts";

Deno.test("LightGBMModel predicts what the reference walker predicts, for every fixture", async (t) => {
  for (const [name, { file, inputs }] of Object.entries(CASES)) {
    await t.step(name, async () => {
      const path = fixture("lightgbm", file);
      const reference = readReferenceModel(await Deno.readTextFile(path));
      const perRow = Number(reference.header.num_class);
      const model = await loaded(path);
      const doubles = toDoubles(inputs);
      // FP64 rows are used as they are; FP32 rows are the float32 values, widened.
      for (const datatype of ["FP64", "FP32"] as const) {
        const rows = datatype === "FP64" ? doubles : doubles.map((r) => r.map(Math.fround));
        const response = await model.predict({ inputs: [rowsInput(rows, datatype)] });
        const data = predictOutput(response.outputs[0]!, rows.length, perRow);
        assertNear(data, rows.flatMap((row) => referencePredict(reference, row)), datatype);
      }
    });
  }
});

Deno.test("the fixtures' rows reach every rule of LightGBM's trees", async () => {
  const trace = new Set<string>();
  for (const { file, inputs } of Object.values(CASES)) {
    const reference = readReferenceModel(await Deno.readTextFile(fixture("lightgbm", file)));
    for (const row of toDoubles(inputs)) referencePredict(reference, row, {}, trace);
  }
  const rules = [
    "NaN default left",
    "NaN default right",
    "NaN as 0 (None type)",
    "Zero type: NaN default left",
    "Zero type: NaN default right",
    "Zero type: zero default left",
    "Zero type: zero default right",
    "value equal to threshold",
    "tiny value as 0",
    "one-leaf tree",
    "categorical NaN",
    "categorical negative",
    "categorical past int",
    "categorical fraction",
    "categorical in set",
    "categorical not in set",
    "categorical in word 2+",
    "categorical not in word 2+",
    "linear leaf",
    "linear leaf, constant only",
    "linear leaf with NaN",
  ];
  assert.deepEqual(rules.filter((r) => !trace.has(r)), []);
});

Deno.test("LightGBMModel serves MLServer's iris model: probabilities sum to 1, accuracy ≥ 0.95", async () => {
  const model = await loaded(IRIS_MODEL);
  const rows: number[][] = IRIS.data;
  const response = await model.predict({ inputs: [rowsInput(rows, "FP64")] });
  const data = predictOutput(response.outputs[0]!, 150, 3);
  const reference = readReferenceModel(await Deno.readTextFile(IRIS_MODEL));
  assertNear(data, rows.flatMap((row) => referencePredict(reference, row)), "iris");
  let correct = 0;
  for (let row = 0; row < 150; row++) {
    const p = Array.from(data.subarray(row * 3, row * 3 + 3));
    assert.ok(Math.abs(p[0]! + p[1]! + p[2]! - 1) < 1e-12, `row ${row} sums to ${p}`);
    if (p.indexOf(Math.max(...p)) === IRIS.target[row]) correct++;
  }
  assert.ok(correct / 150 >= 0.95, `accuracy ${correct}/150`);
});

Deno.test("LightGBMModel uses parameters.extra num_iteration and start_iteration", async (t) => {
  const cases = [
    { name: "iris", path: IRIS_MODEL, rows: IRIS.data as number[][] },
    { name: "rf_regression (averages over the iterations used)", ...fixtureRows("rf_regression") },
    { name: "multiclassova", ...fixtureRows("multiclassova") },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const reference = readReferenceModel(await Deno.readTextFile(c.path));
      const all = await (await loaded(c.path)).predict({ inputs: [rowsInput(c.rows, "FP64")] });
      for (
        const extra of [
          { num_iteration: 3 },
          { num_iteration: "2", start_iteration: 1 },
          { start_iteration: 4 },
          { num_iteration: 0 },
          { num_iteration: 10_000 },
        ]
      ) {
        const model = await loaded(c.path, extra);
        const response = await model.predict({ inputs: [rowsInput(c.rows, "FP64")] });
        const range = {
          start: Number(extra.start_iteration ?? 0),
          count: Number(extra.num_iteration ?? 0),
        };
        const expected = c.rows.flatMap((row) => referencePredict(reference, row, range));
        assertNear(response.outputs[0]!.data as Float64Array, expected, JSON.stringify(extra));
        const allIterations = range.start === 0 && (range.count === 0 || range.count >= 10);
        assert.equal(
          (response.outputs[0]!.data as Float64Array).every((v, i) =>
            v === (all.outputs[0]!.data as Float64Array)[i]
          ),
          allIterations,
          `${JSON.stringify(extra)} ${allIterations ? "uses" : "does not use"} every iteration`,
        );
      }
    });
  }
});

function fixtureRows(name: string): { path: string; rows: number[][] } {
  return { path: fixture("lightgbm", CASES[name]!.file), rows: toDoubles(CASES[name]!.inputs) };
}

Deno.test("LightGBMModel finds model.bst, then model.txt, in a folder", async (t) => {
  await using dir = await withTmpDir();
  const bst = join(dir.path, "both");
  await Deno.mkdir(bst);
  await Deno.copyFile(IRIS_MODEL, join(bst, "model.bst"));
  await Deno.copyFile(fixture("lightgbm", "binary.txt"), join(bst, "model.txt"));
  const txt = join(dir.path, "txt");
  await Deno.mkdir(txt);
  await Deno.copyFile(fixture("lightgbm", "binary.txt"), join(txt, "model.txt"));
  await t.step("model.bst first", async () => {
    const response = await (await loaded(bst)).predict({
      inputs: [rowsInput([[5.1, 3.5, 1.4, 0.2]], "FP64")],
    });
    assert.deepEqual(response.outputs[0]!.shape, [1, 3]);
  });
  await t.step("model.txt otherwise", async () => {
    const row = toDoubles(CASES.binary!.inputs.slice(0, 1));
    const response = await (await loaded(txt)).predict({ inputs: [rowsInput(row, "FP64")] });
    assert.deepEqual(response.outputs[0]!.shape, [1, 1]);
  });
  await t.step("neither: a load error naming both", async () => {
    const empty = join(dir.path, "empty");
    await Deno.mkdir(empty);
    await assert.rejects(() => new LightGBMModel(settingsFor(empty)).load(), (err: Error) => {
      assert.ok(err instanceof RuntimeLoadError);
      assert.match(err.message, /the folder has no model\.bst or model\.txt/);
      return true;
    });
  });
});

Deno.test("LightGBMModel reads a pd request by feature name, else in column order", async (t) => {
  const model = await loaded(IRIS_MODEL);
  const rows: number[][] = IRIS.data.slice(45, 55);
  const reference = readReferenceModel(await Deno.readTextFile(IRIS_MODEL));
  const column = (name: string, f: number, datatype: "FP32" | "FP64") => ({
    name,
    datatype,
    shape: [rows.length],
    data: datatype === "FP32"
      ? Float32Array.from(rows, (r) => r[f]!)
      : Float64Array.from(rows, (r) => r[f]!),
  });
  const pd = (inputs: InferenceRequest["inputs"]) =>
    model.predict({ parameters: { content_type: "pd" }, inputs });
  await t.step("by name, columns in any order", async () => {
    const response = await pd([3, 1, 0, 2].map((f) => column(`Column_${f}`, f, "FP64")));
    assertNear(
      response.outputs[0]!.data as Float64Array,
      rows.flatMap((r) => referencePredict(reference, r)),
      "by name",
    );
  });
  await t.step("other names: in column order; all-FP32 columns are float32", async () => {
    const response = await pd([0, 1, 2, 3].map((f) => column(`feature ${f}`, f, "FP32")));
    const narrowed = rows.map((r) => r.map(Math.fround));
    assertNear(
      response.outputs[0]!.data as Float64Array,
      narrowed.flatMap((r) => referencePredict(reference, r)),
      "in order",
    );
  });
  await t.step("some feature names but not all is a 400 naming the absent ones", async () => {
    const inputs = [column("Column_0", 0, "FP64"), column("Column_1", 1, "FP64")];
    const more = [column("Column_2", 2, "FP64"), column("petal width", 3, "FP64")];
    await assert.rejects(() => pd([...inputs, ...more]), (err: Error) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.equal(
        err.message,
        "LightGBMModel was trained with features Column_0, Column_1, Column_2, Column_3; " +
          "the request has no column Column_3",
      );
      return true;
    });
  });
  await t.step("the wrong number of columns is a 400 naming the features", async () => {
    await assert.rejects(() => pd([column("a", 0, "FP32")]), (err: Error) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.equal(
        err.message,
        "LightGBMModel expects 4 columns (Column_0, Column_1, Column_2, Column_3), got 1 (a)",
      );
      return true;
    });
  });
  await t.step("a text column is a 400", async () => {
    const inputs = [0, 1, 2].map((f) => column(`Column_${f}`, f, "FP64"));
    const text = {
      name: "Column_3",
      datatype: "BYTES" as const,
      shape: [rows.length],
      data: rows.map(() => "x"),
    };
    await assert.rejects(() => pd([...inputs, text]), /expects numeric columns; 'Column_3' is not/);
  });
});

Deno.test("LightGBMModel answers only predict, whatever outputs are asked for (as MLServer)", async () => {
  const model = await loaded(IRIS_MODEL);
  const response = await model.predict({
    inputs: [rowsInput([[5.1, 3.5, 1.4, 0.2]], "FP32")],
    outputs: [{ name: "predict_proba" }],
  });
  assert.deepEqual(response.outputs.map((o) => o.name), ["predict"]);
});

Deno.test("LightGBMModel scores a batch of many row blocks as it scores each row alone", async () => {
  const { path, rows: base } = fixtureRows("multiclass");
  const rows = [...base, ...base, ...base, ...base, ...base].slice(0, 557); // past two blocks of 256
  const model = await loaded(path);
  const batch = await model.predict({ inputs: [rowsInput(rows, "FP64")] });
  const data = predictOutput(batch.outputs[0]!, rows.length, 3);
  for (const [i, row] of rows.entries()) {
    if (i % 50 !== 0 && i < rows.length - 3) continue; // a sample, and the last rows
    const alone = await model.predict({ inputs: [rowsInput([row], "FP64")] });
    assert.deepEqual(
      Array.from(data.subarray(i * 3, i * 3 + 3)),
      Array.from(alone.outputs[0]!.data as Float64Array),
      `row ${i}`,
    );
  }
  const reference = readReferenceModel(await Deno.readTextFile(path));
  assertNear(data, rows.flatMap((row) => referencePredict(reference, row)), "batch");
});
