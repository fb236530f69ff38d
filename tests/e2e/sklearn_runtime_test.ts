/**
 * The built-in scikit-learn runtime served by the real server: every
 * fixture model, over REST (JSON) and gRPC (typed contents), in the
 * models-folder layout (model-settings.json naming
 * mlserver_sklearn.SKLearnModel, the pickle found by its well-known name)
 * and in KServe's environment-only layout (MLSERVER_MODEL_IMPLEMENTATION
 * and MLSERVER_MODEL_URI pointing at the file). Answers must be
 * scikit-learn's within 1e-6 relative; a hostile pickle never loads.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { InferenceRequest, ResponseOutput } from "../../src/mod.ts";
import { call, inferenceClient } from "../_grpc.ts";
import { fixture, type Json, postJson, startServer, withTmpDir, writeModel } from "../_helpers.ts";
import { assertMatches, EXPECTED, fixtureInputs, MODELS } from "../runtimes/_sklearn.ts";

const IMPLEMENTATION = "mlserver_sklearn.SKLearnModel";

/** The fixture's request with every output it recorded. */
function fullRequest(name: string): InferenceRequest {
  const entry: Json = EXPECTED[name];
  const outputs = ["predict", "predict_proba", "transform"].filter((o) => entry[o] !== undefined);
  return { ...fixtureInputs(entry), outputs: outputs.map((o) => ({ name: o })) };
}

function restBody(request: InferenceRequest): unknown {
  return {
    ...request,
    inputs: request.inputs.map((input) => ({
      ...input,
      data: Array.from(
        input.data as ArrayLike<unknown>,
        (v) => (typeof v === "number" && Number.isNaN(v) ? null : v),
      ),
    })),
  };
}

function grpcParameters(parameters: Record<string, unknown> | undefined) {
  if (parameters === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(parameters).map(([k, v]) => [k, { string_param: String(v) }]),
  );
}

function grpcRequest(model: string, request: InferenceRequest): unknown {
  return {
    model_name: model,
    parameters: grpcParameters(request.parameters),
    outputs: request.outputs,
    inputs: request.inputs.map((input) => {
      const values = Array.from(input.data as ArrayLike<unknown>);
      const contents = input.datatype === "BYTES"
        ? { bytes_contents: values.map((v) => Buffer.from(String(v))) }
        : input.datatype === "FP32"
        ? { fp32_contents: values }
        : { fp64_contents: values };
      return {
        name: input.name,
        datatype: input.datatype,
        shape: input.shape.map(String),
        parameters: grpcParameters(input.parameters),
        contents,
      };
    }),
  };
}

/** A gRPC output as a REST-like output: typed contents to plain values. */
function grpcOutput(output: Json): ResponseOutput {
  const c = output.contents ?? {};
  const data = c.fp64_contents ?? c.fp32_contents ??
    c.int64_contents?.map(Number) ?? c.int_contents ??
    c.bytes_contents?.map((b: Uint8Array) => Buffer.from(b).toString()) ??
    c.bool_contents ?? [];
  return { name: output.name, datatype: output.datatype, shape: output.shape.map(Number), data };
}

function assertOutputs(name: string, outputs: ResponseOutput[], via: string): void {
  const entry: Json = EXPECTED[name];
  const request = fullRequest(name);
  assert.deepEqual(
    outputs.map((o) => o.name),
    request.outputs!.map((o) => o.name),
    `${name} ${via}`,
  );
  for (const output of outputs) {
    assertMatches(output, entry[output.name], `${name} ${via} ${output.name}`);
  }
}

async function checkModel(url: string, port: number, name: string, served: string): Promise<void> {
  const request = fullRequest(name);
  const rest = await postJson(`${url}/v2/models/${served}/infer`, restBody(request));
  assert.equal(rest.status, 200, `${name} REST: ${JSON.stringify(rest.body)}`);
  assertOutputs(name, rest.body.outputs, "REST");
  const client = inferenceClient(port);
  try {
    const { response, error } = await call(client, "ModelInfer", grpcRequest(served, request));
    assert.equal(error, undefined, `${name} gRPC: ${error?.details}`);
    assertOutputs(name, response.outputs.map(grpcOutput), "gRPC");
  } finally {
    client.close();
  }
}

/** The first file of a fixture, under the well-known name for its kind. */
function wellKnownName(file: string): string {
  return file.endsWith(".joblib") ? "model.joblib" : "model.pkl";
}

Deno.test("mlserver_sklearn.SKLearnModel serves every fixture over REST and gRPC from a models folder", async (t) => {
  await using dir = await withTmpDir();
  for (const name of MODELS) {
    const file = (EXPECTED[name].files as string[])[0]!;
    const folder = await writeModel(dir.path, name, { name, implementation: IMPLEMENTATION });
    await Deno.copyFile(fixture("sklearn", file), join(folder, wellKnownName(file)));
  }
  const hostile = await writeModel(dir.path, "hostile", {
    name: "hostile",
    implementation: IMPLEMENTATION,
  });
  await Deno.copyFile(fixture("sklearn", "hostile_os_system.pkl"), join(hostile, "model.pkl"));
  const marker = EXPECTED._hostile["hostile_os_system.pkl"].marker as string;
  await Deno.remove(marker).catch(() => {});
  await using srv = await startServer(dir.path);

  for (const name of MODELS) {
    await t.step(name, () => checkModel(srv.url, srv.server.grpcPort, name, name));
  }
  await t.step(
    "a hostile pickle is UNAVAILABLE, its reason naming os.system, and did not run",
    async () => {
      const { body } = await postJson(`${srv.url}/v2/repository/index`, {});
      const entry = body.find((m: { name: string }) => m.name === "hostile");
      assert.equal(entry.state, "UNAVAILABLE");
      assert.match(entry.reason, /references os\.system, which is not on the allow-list/);
      assert.equal(await Deno.stat(marker).then(() => true, () => false), false);
    },
  );
  await t.step(
    "predict_proba of a regressor is a 400 over REST and INVALID_ARGUMENT over gRPC",
    async () => {
      const request = {
        ...fixtureInputs(EXPECTED.ridge_diabetes),
        outputs: [{ name: "predict_proba" }],
      };
      const rest = await postJson(`${srv.url}/v2/models/ridge_diabetes/infer`, restBody(request));
      assert.equal(rest.status, 400);
      assert.match(rest.body.error, /Ridge'> models do not support 'predict_proba'/);
      const client = inferenceClient(srv.server.grpcPort);
      try {
        const { error } = await call(client, "ModelInfer", grpcRequest("ridge_diabetes", request));
        assert.equal(error?.code, 3);
        assert.match(String(error?.details), /do not support 'predict_proba'/);
      } finally {
        client.close();
      }
    },
  );
});

Deno.test("KServe's way: MLSERVER_MODEL_IMPLEMENTATION=mlserver_sklearn.SKLearnModel and MLSERVER_MODEL_URI=.../model.joblib, every fixture", async (t) => {
  for (const name of MODELS) {
    await t.step(name, async () => {
      await using dir = await withTmpDir();
      const models = join(dir.path, "mnt", "models");
      await Deno.mkdir(models, { recursive: true });
      const file = (EXPECTED[name].files as string[])[0]!;
      const uri = join(models, wellKnownName(file));
      await Deno.copyFile(fixture("sklearn", file), uri);
      await using srv = await startServer(models, {
        env: {
          MLSERVER_MODEL_NAME: "served",
          MLSERVER_MODEL_IMPLEMENTATION: IMPLEMENTATION,
          MLSERVER_MODEL_URI: uri,
        },
      });
      await checkModel(srv.url, srv.server.grpcPort, name, "served");
    });
  }
});
