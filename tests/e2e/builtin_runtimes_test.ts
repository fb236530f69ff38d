/**
 * Built-in runtimes named the way MLServer, ModelMesh and KServe name them,
 * served by the real server: REST (JSON and binary, with missing values),
 * gRPC raw contents, and KServe's environment-only model.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { call, inferenceClient } from "../_grpc.ts";
import { fixture, type Json, postJson, startServer, withTmpDir, writeModel } from "../_helpers.ts";

const EXPECTED: Json = JSON.parse(await Deno.readTextFile(fixture("xgboost", "expected.json")));

Deno.test("mlserver_xgboost.XGBoostModel serves XGBoost files over REST and gRPC", async (t) => {
  await using dir = await withTmpDir();
  const folder = await writeModel(dir.path, "iris", {
    name: "iris-xgb",
    implementation: "mlserver_xgboost.XGBoostModel",
  });
  // No uri: the settings folder, where the runtime finds model.ubj by its well-known name.
  await Deno.copyFile(fixture("xgboost", "iris_softprob.ubj"), join(folder, "model.ubj"));
  await using srv = await startServer(dir.path);
  const expected = EXPECTED.iris_softprob;
  const rows: (number | null)[][] = expected.inputs;
  const complete = rows.map((row, i) => ({ row, i })).filter(({ row }) => !row.includes(null));

  await t.step("REST JSON: predict and predict_proba", async () => {
    const { status, body } = await postJson(`${srv.url}/v2/models/iris-xgb/infer`, {
      inputs: [{
        name: "input-0",
        datatype: "FP32",
        shape: [complete.length, 4],
        data: complete.map(({ row }) => row),
      }],
      outputs: [{ name: "predict" }, { name: "predict_proba" }],
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.model_name, "iris-xgb");
    assert.deepEqual(body.outputs[0].data, complete.map(({ i }) => expected.predict[i]));
    assert.deepEqual(body.outputs[1].shape, [complete.length, 3]);
    const proba = complete.flatMap(({ i }) => expected.predict_proba[i]);
    body.outputs[1].data.forEach((p: number, k: number) => {
      assert.ok(Math.abs(p - proba[k]) < 1e-6, `predict_proba ${k}: ${p} vs ${proba[k]}`);
    });
  });

  await t.step("REST binary: NaN features take the trees' default directions", async () => {
    const features = Float32Array.from(rows.flat(), (v) => v ?? NaN);
    const header = new TextEncoder().encode(JSON.stringify({
      inputs: [{
        name: "input-0",
        datatype: "FP32",
        shape: [rows.length, 4],
        parameters: { binary_data_size: features.byteLength },
      }],
    }));
    const body = new Uint8Array(header.byteLength + features.byteLength);
    body.set(header);
    body.set(new Uint8Array(features.buffer), header.byteLength);
    const response = await fetch(`${srv.url}/v2/models/iris-xgb/infer`, {
      method: "POST",
      headers: { "inference-header-content-length": String(header.byteLength) },
      body,
    });
    assert.equal(response.status, 200);
    assert.deepEqual((await response.json()).outputs[0].data, expected.predict);
  });

  await t.step("gRPC raw contents", async () => {
    const client = inferenceClient(srv.server.grpcPort);
    try {
      const features = Float32Array.from(rows.flat(), (v) => v ?? NaN);
      const { response, error } = await call(client, "ModelInfer", {
        model_name: "iris-xgb",
        inputs: [{ name: "input-0", datatype: "FP32", shape: [String(rows.length), "4"] }],
        raw_input_contents: [new Uint8Array(features.buffer)],
      });
      assert.equal(error, undefined, String(error?.details));
      const raw = response.raw_output_contents[0];
      const labels = new BigInt64Array(
        raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length),
      );
      assert.deepEqual(Array.from(labels, Number), expected.predict);
    } finally {
      client.close();
    }
  });

  await t.step("bad input is a 400 naming the expected shape", async () => {
    const { status, body } = await postJson(`${srv.url}/v2/models/iris-xgb/infer`, {
      inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 3], data: [1, 2, 3] }],
    });
    assert.equal(status, 400);
    assert.match(body.error, /expects one input of shape \[N, 4\], got \[1,3\]/);
  });
});

Deno.test("KServe's way: MLSERVER_MODEL_IMPLEMENTATION=mlserver_xgboost.XGBoostModel and a model URI", async () => {
  await using dir = await withTmpDir();
  const models = join(dir.path, "mnt", "models");
  await Deno.mkdir(models, { recursive: true });
  await Deno.copyFile(fixture("xgboost", "diabetes_regressor.json"), join(models, "model.json"));
  await using srv = await startServer(models, {
    env: {
      MLSERVER_MODEL_NAME: "diabetes",
      MLSERVER_MODEL_IMPLEMENTATION: "mlserver_xgboost.XGBoostModel",
      MLSERVER_MODEL_URI: models,
    },
  });
  const expected = EXPECTED.diabetes_regressor;
  const row = expected.inputs.findIndex((r: (number | null)[]) => !r.includes(null));
  const { status, body } = await postJson(`${srv.url}/v2/models/diabetes/infer`, {
    inputs: [{ name: "x", datatype: "FP32", shape: [1, 10], data: expected.inputs[row] }],
  });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.outputs[0].datatype, "FP32");
  assert.ok(Math.abs(body.outputs[0].data[0] - expected.predict[row]) < 1e-4);
});

Deno.test("an unknown built-in name lists the built-in runtimes in the model's reason", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "lgbm", { implementation: "mlserver_mllib.MLlibModel" });
  await using srv = await startServer(dir.path);
  const { body } = await postJson(`${srv.url}/v2/repository/index`, {});
  const entry = body.find((m: { name: string }) => m.name === "lgbm");
  assert.equal(entry.state, "UNAVAILABLE");
  assert.match(entry.reason, /built-in runtimes are .*mlserver_xgboost\.XGBoostModel/);
});
