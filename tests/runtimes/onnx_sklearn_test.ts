/**
 * scikit-learn estimators exported to ONNX by tests/fixtures/onnx/make_sklearn.py
 * (linear and logistic regression, random forest, gradient boosting, a
 * scaler), served by `SKLearnOnnxModel` with MLServer's sklearn outputs and
 * compared with scikit-learn's recorded predictions within 1e-5 relative,
 * over REST and gRPC, in the models-folder layout and KServe's
 * environment-only layout.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { inferenceClient } from "../_grpc.ts";
import { fixture, type Json, postJson, startServer, withTmpDir, writeModel } from "../_helpers.ts";
import { difference, inferGrpc, inferRest, type WireTensor } from "./_onnx_wire.ts";

const EXPECTED: Json = JSON.parse(
  await Deno.readTextFile(fixture("onnx", "sklearn", "expected.json")),
);
// The name ModelMesh and KServe write: a folder holding model.onnx goes to the ONNX runtime.
const IMPLEMENTATION = "mlserver_sklearn.SKLearnModel";
const METHODS = ["predict", "predict_proba", "transform"];

function inputOf(name: string): WireTensor {
  const rows: number[][] = EXPECTED[name].inputs;
  return {
    name: "input-0",
    datatype: "FP32",
    shape: [rows.length, rows[0]!.length],
    data: Float32Array.from(rows.flat()),
  };
}

/** scikit-learn's answer as the server must give it: labels INT64, the rest FP32, 1-D as [N, 1]. */
function expectedOf(name: string, method: string): WireTensor {
  const values: number[] | number[][] = EXPECTED[name][method];
  const flat = values.flat();
  const shape = Array.isArray(values[0]) ? [values.length, values[0].length] : [values.length, 1];
  const isLabel = EXPECTED[name][`${method}_dtype`] === "int64";
  return {
    name: method,
    datatype: isLabel ? "INT64" : "FP32",
    shape,
    data: isLabel ? BigInt64Array.from(flat, BigInt) : Float64Array.from(flat),
  };
}

function compare(name: string, how: string, outputs: WireTensor[], methods: string[]): string[] {
  return methods.flatMap((method) => {
    const got = outputs.find((o) => o.name === method);
    const want = expectedOf(name, method);
    if (got === undefined) return [`${name} ${how}: no ${method}`];
    if (JSON.stringify(got.shape) !== JSON.stringify(want.shape)) {
      return [`${name} ${how} ${method}: shape [${got.shape}], expected [${want.shape}]`];
    }
    const diff = difference(got, want);
    return diff === undefined ? [] : [`${name} ${how} ${method}: ${diff}`];
  });
}

async function modelsFolder(root: string): Promise<void> {
  for (const name of Object.keys(EXPECTED)) {
    const folder = await writeModel(root, name, { name, implementation: IMPLEMENTATION });
    await Deno.copyFile(fixture("onnx", "sklearn", `${name}.onnx`), join(folder, "model.onnx"));
  }
}

Deno.test("SKLearnOnnxModel matches scikit-learn over REST and gRPC (models folder)", async (t) => {
  await using dir = await withTmpDir();
  await modelsFolder(dir.path);
  await using srv = await startServer(dir.path);
  const client = inferenceClient(srv.server.grpcPort);
  try {
    for (const name of Object.keys(EXPECTED)) {
      await t.step(name, async () => {
        const methods = METHODS.filter((m) => m in EXPECTED[name]);
        const rest = await inferRest(srv.url, name, [inputOf(name)], { outputs: methods });
        assert.equal(rest.status, 200, String(rest.error));
        const grpc = await inferGrpc(client, name, [inputOf(name)], methods);
        assert.equal(grpc.status, 200, String(grpc.error));
        const problems = [
          ...compare(name, "REST", rest.outputs, methods),
          ...compare(name, "gRPC", grpc.outputs, methods),
        ];
        assert.deepEqual(problems, []);
      });
    }
  } finally {
    client.close();
  }

  await t.step("predict only, by default", async () => {
    const answer = await inferRest(srv.url, "random_forest", [inputOf("random_forest")]);
    assert.deepEqual(answer.outputs.map((o) => o.name), ["predict"]);
    assert.deepEqual(compare("random_forest", "default", answer.outputs, ["predict"]), []);
  });

  const refusals = [
    {
      name: "predict_proba on a regressor is a 400",
      model: "linear_regression",
      output: "predict_proba",
      error: /do not support 'predict_proba'/,
    },
    {
      name: "transform on a classifier is a 400",
      model: "logistic_regression",
      output: "transform",
      error: /Classifier models do not support 'transform'/,
    },
    {
      name: "an unknown output is a 400 listing MLServer's three",
      model: "gradient_boosting",
      output: "decision_function",
      error: /only supports 'predict', 'predict_proba' and 'transform' as outputs/,
    },
  ];
  for (const refusal of refusals) {
    await t.step(refusal.name, async () => {
      const { status, body } = await postJson(`${srv.url}/v2/models/${refusal.model}/infer`, {
        inputs: [{
          ...inputOf(refusal.model),
          data: Array.from(inputOf(refusal.model).data as Float32Array),
        }],
        outputs: [{ name: refusal.output }],
      });
      assert.equal(status, 400);
      assert.match(body.error, refusal.error);
    });
  }

  await t.step("metadata comes from the graph (probabilities as [-1, classes] FP32)", async () => {
    const response = await fetch(`${srv.url}/v2/models/random_forest`);
    const metadata = await response.json();
    assert.deepEqual(metadata.inputs, [{ name: "X", datatype: "FP32", shape: [-1, 4] }]);
    assert.deepEqual(metadata.outputs, [
      { name: "output_label", datatype: "INT64", shape: [-1] },
      { name: "output_probability", datatype: "FP32", shape: [-1, 3] },
    ]);
  });
});

Deno.test("SKLearnOnnxModel: parameters.extra.predict_fn picks the default output", async () => {
  await using dir = await withTmpDir();
  const folder = await writeModel(dir.path, "proba", {
    name: "proba",
    implementation: IMPLEMENTATION,
    parameters: { extra: { predict_fn: "predict_proba" } },
  });
  await Deno.copyFile(
    fixture("onnx", "sklearn", "gradient_boosting.onnx"),
    join(folder, "model.onnx"),
  );
  await writeModel(dir.path, "bad", {
    name: "bad",
    implementation: IMPLEMENTATION,
    parameters: { uri: join(folder, "model.onnx"), extra: { predict_fn: "decision_function" } },
  });
  await using srv = await startServer(dir.path);
  const answer = await inferRest(srv.url, "proba", [inputOf("gradient_boosting")]);
  assert.deepEqual(answer.outputs.map((o) => o.name), ["predict_proba"]);
  assert.deepEqual(
    compare("gradient_boosting", "predict_fn", answer.outputs, ["predict_proba"]),
    [],
  );
  const { body } = await postJson(`${srv.url}/v2/repository/index`, {});
  const bad = body.find((m: Json) => m.name === "bad");
  assert.equal(bad.state, "UNAVAILABLE");
  assert.match(bad.reason, /predict_fn must be one of predict, predict_proba, transform/);
});

Deno.test("SKLearnOnnxModel in KServe's environment-only layout, over REST and gRPC", async (t) => {
  for (const name of ["logistic_regression", "gradient_boosting_regressor", "standard_scaler"]) {
    await t.step(name, async () => {
      await using dir = await withTmpDir();
      const models = join(dir.path, "mnt", "models");
      await Deno.mkdir(models, { recursive: true });
      await Deno.copyFile(fixture("onnx", "sklearn", `${name}.onnx`), join(models, "model.onnx"));
      await using srv = await startServer(models, {
        env: {
          MLSERVER_MODEL_NAME: "sk",
          MLSERVER_MODEL_IMPLEMENTATION: IMPLEMENTATION,
          MLSERVER_MODEL_URI: models,
        },
      });
      const methods = METHODS.filter((m) => m in EXPECTED[name]);
      const client = inferenceClient(srv.server.grpcPort);
      try {
        const rest = await inferRest(srv.url, "sk", [inputOf(name)], { outputs: methods });
        const grpc = await inferGrpc(client, "sk", [inputOf(name)], methods);
        assert.deepEqual([rest.status, grpc.status], [200, 200], `${rest.error} ${grpc.error}`);
        assert.deepEqual([
          ...compare(name, "REST", rest.outputs, methods),
          ...compare(name, "gRPC", grpc.outputs, methods),
        ], []);
      } finally {
        client.close();
      }
    });
  }
});
