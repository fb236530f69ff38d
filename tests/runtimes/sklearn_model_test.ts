/**
 * SKLearnModel's contract beyond the numbers: MLServer's output rules
 * (default output, predict_fn, valid names, predict_proba refused for
 * regressors), input checks (feature count, names, NaN), well-known file
 * names, and load refusals: hostile pickles (nothing runs: the marker files
 * their payloads would create never appear), unsupported estimators,
 * non-estimators, compressions Deno cannot read.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  InferenceError,
  type InferenceRequest,
  InvalidRequestError,
  RuntimeLoadError,
} from "../../src/mod.ts";
import { ModelSettingsSchema } from "../../src/settings/model_settings.ts";
import { SKLearnModel } from "../../runtimes/sklearn/mod.ts";
import { fixture, type Json, withTmpDir } from "../_helpers.ts";
import { EXPECTED, fixtureInputs } from "./_sklearn.ts";

function modelFor(uri: string, extra: Record<string, unknown> = {}): SKLearnModel {
  return new SKLearnModel(ModelSettingsSchema.parse({
    name: "sk",
    implementation: "mlserver_sklearn.SKLearnModel",
    parameters: { uri, extra },
  }));
}

async function loaded(file: string, extra: Record<string, unknown> = {}): Promise<SKLearnModel> {
  const model = modelFor(fixture("sklearn", file), extra);
  assert.equal(await model.load(), true);
  return model;
}

function request(name: string, outputs?: string[]): InferenceRequest {
  const entry: Json = EXPECTED[name];
  return {
    ...fixtureInputs(entry),
    ...(outputs ? { outputs: outputs.map((o) => ({ name: o })) } : {}),
  };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("SKLearnModel.load() refuses hostile pickles by the global they name, and nothing runs", async (t) => {
  const hostile = EXPECTED._hostile as Record<string, { marker: string; global: string }>;
  for (const [file, { marker, global }] of Object.entries(hostile)) {
    await t.step(file, async () => {
      await Deno.remove(marker).catch(() => {});
      const model = modelFor(fixture("sklearn", file));
      await assert.rejects(model.load(), (err: unknown) => {
        assert.ok(err instanceof RuntimeLoadError);
        assert.match(
          err.message,
          new RegExp(`references ${global.replace(".", "\\.")}, which is not on the allow-list`),
        );
        return true;
      });
      assert.equal(await exists(marker), false, `${marker} appeared: the payload ran`);
    });
  }
});

Deno.test("SKLearnModel.load() fails with the reason for files it cannot serve", async (t) => {
  const table: [string, RegExp][] = [
    [
      "unsupported_kmeans.joblib",
      /sklearn\.cluster\._kmeans\.KMeans is not supported by this runtime; export the model to ONNX/,
    ],
    ["not_an_estimator.joblib", /holds a dict, not a scikit-learn estimator/],
    ["bz2_compressed.joblib", /compressed with bz2, which this runtime cannot decompress/],
  ];
  for (const [file, message] of table) {
    await t.step(file, async () => {
      await assert.rejects(modelFor(fixture("sklearn", file)).load(), (err: unknown) => {
        assert.ok(err instanceof RuntimeLoadError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
  await t.step("a folder without a well-known file", async () => {
    await using dir = await withTmpDir();
    await assert.rejects(
      modelFor(dir.path).load(),
      /has none of model\.joblib, model\.pickle, model\.pkl/,
    );
  });
});

Deno.test("SKLearnModel.load() finds model.joblib before model.pickle and model.pkl in a folder", async () => {
  await using dir = await withTmpDir();
  await Deno.copyFile(fixture("sklearn", "linreg_diabetes.p2.pkl"), join(dir.path, "model.pkl"));
  await Deno.copyFile(fixture("sklearn", "logreg_iris.joblib"), join(dir.path, "model.joblib"));
  const model = modelFor(dir.path);
  await model.load();
  const response = await model.predict(request("logreg_iris"));
  assert.equal(response.outputs[0]!.datatype, "INT64"); // the classifier, not the regressor
});

Deno.test("SKLearnModel.predict() follows MLServer's output rules", async (t) => {
  await t.step("predict by default", async () => {
    const response = await (await loaded("logreg_iris.joblib")).predict(request("logreg_iris"));
    assert.deepEqual(response.outputs.map((o) => o.name), ["predict"]);
    assert.equal(response.outputs[0]!.parameters?.content_type, "np");
  });
  await t.step("parameters.extra.predict_fn picks the default output", async () => {
    const model = await loaded("logreg_iris.joblib", { predict_fn: "predict_proba" });
    const response = await model.predict(request("logreg_iris"));
    assert.equal(response.outputs[0]!.name, "predict_proba");
    assert.deepEqual(response.outputs[0]!.shape, [EXPECTED.logreg_iris.inputs.length, 3]);
  });
  await t.step("requested outputs win over predict_fn, in the order asked", async () => {
    const model = await loaded("logreg_iris.joblib", { predict_fn: "predict_proba" });
    const response = await model.predict(request("logreg_iris", ["predict_proba", "predict"]));
    assert.deepEqual(response.outputs.map((o) => o.name), ["predict_proba", "predict"]);
  });
  await t.step("an unknown output is an InferenceError naming the valid ones", async () => {
    const model = await loaded("logreg_iris.joblib");
    await assert.rejects(
      model.predict(request("logreg_iris", ["decision_function"])),
      (err: unknown) => {
        assert.ok(err instanceof InferenceError);
        assert.equal(err.status, 400);
        assert.match(
          err.message,
          /only supports 'predict', 'predict_proba' and 'transform' as outputs \(decision_function was received\)/,
        );
        return true;
      },
    );
  });
  const refusals: [string, string, RegExp][] = [
    [
      "linreg_diabetes.joblib",
      "predict_proba",
      /<class 'sklearn\.linear_model\._base\.LinearRegression'> models do not support 'predict_proba'/,
    ],
    ["svc_linear_iris.joblib", "predict_proba", /SVC'> models do not support 'predict_proba'/],
    ["sgdclf_hinge_iris.joblib", "predict_proba", /SGDClassifier'> models do not support/],
    [
      "pipe_minmax_ridge.joblib",
      "predict_proba",
      /<class 'sklearn\.linear_model\._ridge\.Ridge'> models/,
    ],
    ["logreg_iris.joblib", "transform", /LogisticRegression'> models do not support 'transform'/],
    ["scaler_iris.joblib", "predict", /StandardScaler'> models do not support 'predict'/],
  ];
  for (const [file, output, message] of refusals) {
    await t.step(`${output} of ${file} is a 400`, async () => {
      const name = file.replace(/\..*$/, "");
      const model = await loaded(file);
      await assert.rejects(model.predict(request(name, [output])), (err: unknown) => {
        assert.ok(err instanceof InferenceError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
  await t.step("the response carries the model's version", async () => {
    const model = new SKLearnModel(ModelSettingsSchema.parse({
      name: "sk",
      implementation: "mlserver_sklearn.SKLearnModel",
      parameters: { uri: fixture("sklearn", "ridge_diabetes.joblib"), version: "v3" },
    }));
    await model.load();
    assert.equal((await model.predict(request("ridge_diabetes"))).model_version, "v3");
  });
});

Deno.test("SKLearnModel.predict() checks inputs as scikit-learn does", async (t) => {
  const model = await loaded("logreg_iris.joblib");
  const table: [string, InferenceRequest["inputs"][number], RegExp][] = [
    ["wrong feature count", {
      name: "x",
      datatype: "FP64",
      shape: [1, 3],
      data: new Float64Array(3),
    }, /X has 3 features, but LogisticRegression is expecting 4 features as input/],
    [
      "a 1-D input",
      { name: "x", datatype: "FP64", shape: [4], data: new Float64Array(4) },
      /Expected a 2-D input of shape \[samples, features\], got shape \[4\]/,
    ],
    ["NaN where the estimator has no missing values", {
      name: "x",
      datatype: "FP64",
      shape: [1, 4],
      data: Float64Array.of(1, NaN, 1, 1),
    }, /Input X contains NaN; LogisticRegression does not accept missing values/],
    ["text where numbers are expected", {
      name: "x",
      datatype: "BYTES",
      shape: [1, 4],
      data: ["a", "b", "c", "d"],
    }, /expects numeric features; could not convert 'a'/],
  ];
  for (const [name, input, message] of table) {
    await t.step(name, async () => {
      await assert.rejects(model.predict({ inputs: [input] }), (err: unknown) => {
        assert.ok(err instanceof InvalidRequestError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
  await t.step("integer tensors are numbers too", async () => {
    const response = await model.predict({
      inputs: [{
        name: "x",
        datatype: "INT64",
        shape: [1, 4],
        data: BigInt64Array.of(5n, 3n, 1n, 0n),
      }],
    });
    assert.deepEqual(Array.from(response.outputs[0]!.data as BigInt64Array), [0n]);
  });
});

Deno.test("SKLearnModel.predict() maps pd columns by the fitted feature names", async (t) => {
  const model = await loaded("houses_logreg.joblib");
  const base = request("houses_logreg");
  await t.step("any column order gives the same answer", async () => {
    const reversed = await model.predict(base);
    const shuffled = await model.predict({
      ...base,
      inputs: [...base.inputs].sort((a, b) => a.name.localeCompare(b.name)),
    });
    assert.deepEqual(shuffled.outputs[0]!.data, reversed.outputs[0]!.data);
    assert.deepEqual(reversed.outputs[0]!.data, EXPECTED.houses_logreg.predict);
  });
  await t.step("a missing column is a 400 naming it", async () => {
    const inputs = base.inputs.filter((i) => i.name !== "rooms");
    await assert.rejects(model.predict({ ...base, inputs }), (err: unknown) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.match(err.message, /columns are missing: rooms/);
      return true;
    });
  });
  await t.step("an unknown category with handle_unknown='error' is a 400", async () => {
    const strict = await loaded("onehot_numbers.joblib");
    await assert.rejects(
      strict.predict({
        inputs: [{ name: "x", datatype: "FP64", shape: [1, 1], data: Float64Array.of(99) }],
        outputs: [{ name: "transform" }],
      }),
      /Found unknown categories \[99\] in column 0 during transform/,
    );
  });
});
