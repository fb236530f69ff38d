/**
 * `mlserver_lightgbm.LightGBMModel` served by the real server, for every
 * LightGBM fixture: REST (JSON, and binary with missing values) and gRPC
 * (raw and typed contents), in the models-folder layout (model-settings.json
 * and a well-known file name) and KServe's environment-only layout
 * (MLSERVER_MODEL_IMPLEMENTATION and MLSERVER_MODEL_URI naming the file).
 * Every answer must be within 1e-6 of the independent reference walker.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { call, inferenceClient } from "../_grpc.ts";
import {
  fixture,
  type Json,
  postJson,
  repoPath,
  startServer,
  type TestServer,
  withTmpDir,
  writeModel,
} from "../_helpers.ts";
import {
  readReferenceModel,
  referencePredict,
  type RefModel,
} from "../runtimes/_lightgbm_reference.ts";
import { assertNear, CASES, IRIS, IRIS_MODEL, toDoubles } from "../runtimes/_lightgbm.ts";

interface Served {
  name: string;
  path: string;
  rows: number[][];
  reference: RefModel;
}

const SERVED: Served[] = [
  { name: "iris", path: IRIS_MODEL, rows: IRIS.data },
  ...Object.entries(CASES).map(([name, c]) => ({
    name,
    path: fixture("lightgbm", c.file),
    rows: toDoubles(c.inputs),
  })),
].map((m) => ({ ...m, reference: readReferenceModel(Deno.readTextFileSync(m.path)) }));

const expected = (m: Served, rows: number[][]) =>
  rows.flatMap((row) => referencePredict(m.reference, row));
const perRow = (m: Served) => Number(m.reference.header.num_class);

async function restJson(srv: TestServer, m: Served): Promise<void> {
  const complete = m.rows.filter((row) => !row.some(Number.isNaN));
  const { status, body } = await postJson(`${srv.url}/v2/models/${m.name}/infer`, {
    inputs: [{
      name: "x",
      datatype: "FP64",
      shape: [complete.length, complete[0]!.length],
      data: complete,
    }],
  });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.outputs.length, 1);
  const [output] = body.outputs;
  assert.equal(output.name, "predict");
  assert.equal(output.datatype, "FP64");
  assert.deepEqual(output.shape, [complete.length, perRow(m)]);
  assertNear(output.data, expected(m, complete), `${m.name} REST JSON`);
}

async function restBinary(srv: TestServer, m: Served): Promise<void> {
  const features = Float64Array.from(m.rows.flat());
  const header = new TextEncoder().encode(JSON.stringify({
    inputs: [{
      name: "x",
      datatype: "FP64",
      shape: [m.rows.length, m.rows[0]!.length],
      parameters: { binary_data_size: features.byteLength },
    }],
  }));
  const body = new Uint8Array(header.byteLength + features.byteLength);
  body.set(header);
  body.set(new Uint8Array(features.buffer), header.byteLength);
  const response = await fetch(`${srv.url}/v2/models/${m.name}/infer`, {
    method: "POST",
    headers: { "inference-header-content-length": String(header.byteLength) },
    body,
  });
  const json: Json = await response.json();
  assert.equal(response.status, 200, JSON.stringify(json));
  assertNear(json.outputs[0].data, expected(m, m.rows), `${m.name} REST binary`);
}

async function grpc(srv: TestServer, m: Served): Promise<void> {
  const client = inferenceClient(srv.server.grpcPort);
  try {
    const shape = [String(m.rows.length), String(m.rows[0]!.length)];
    const raw = await call(client, "ModelInfer", {
      model_name: m.name,
      inputs: [{ name: "x", datatype: "FP64", shape }],
      raw_input_contents: [new Uint8Array(Float64Array.from(m.rows.flat()).buffer)],
    });
    assert.equal(raw.error, undefined, String(raw.error?.details));
    assert.deepEqual(raw.response.outputs[0].shape.map(Number), [m.rows.length, perRow(m)]);
    const bytes: Uint8Array = raw.response.raw_output_contents[0];
    const values = new Float64Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    );
    assertNear(values, expected(m, m.rows), `${m.name} gRPC raw`);

    const complete = m.rows.filter((row) => !row.some(Number.isNaN));
    const typed = await call(client, "ModelInfer", {
      model_name: m.name,
      inputs: [{
        name: "x",
        datatype: "FP32",
        shape: [String(complete.length), shape[1]],
        contents: { fp32_contents: complete.flat() },
      }],
    });
    assert.equal(typed.error, undefined, String(typed.error?.details));
    const narrowed = complete.map((row) => row.map(Math.fround));
    assertNear(
      typed.response.outputs[0].contents.fp64_contents,
      expected(m, narrowed),
      `${m.name} gRPC FP32`,
    );
  } finally {
    client.close();
  }
}

Deno.test("mlserver_lightgbm.LightGBMModel serves every fixture from a models folder, over REST and gRPC", async (t) => {
  await using dir = await withTmpDir();
  for (const m of SERVED) {
    // No uri: the runtime finds model.bst or model.txt in the settings folder.
    const folder = await writeModel(dir.path, m.name, {
      name: m.name,
      implementation: "mlserver_lightgbm.LightGBMModel",
    });
    const file = m.path.endsWith(".bst") ? "model.bst" : "model.txt";
    await Deno.copyFile(m.path, join(folder, file));
  }
  await using srv = await startServer(dir.path);
  for (const m of SERVED) {
    await t.step(m.name, async () => {
      await restJson(srv, m);
      await restBinary(srv, m);
      await grpc(srv, m);
    });
  }
});

Deno.test("KServe's way: MLSERVER_MODEL_IMPLEMENTATION=mlserver_lightgbm.LightGBMModel and MLSERVER_MODEL_URI=<file>", async (t) => {
  for (const m of SERVED) {
    await t.step(`${m.name} (${basename(m.path)})`, async () => {
      await using dir = await withTmpDir();
      await using srv = await startServer(dir.path, {
        env: {
          MLSERVER_MODEL_NAME: m.name,
          MLSERVER_MODEL_IMPLEMENTATION: "mlserver_lightgbm.LightGBMModel",
          MLSERVER_MODEL_URI: m.path,
        },
      });
      await restJson(srv, m);
      await grpc(srv, m);
    });
  }
});

Deno.test("mlserver_lightgbm.LightGBMModel: a file it cannot read leaves the model unavailable with the reason", async () => {
  await using dir = await withTmpDir();
  const folder = await writeModel(dir.path, "broken", {
    implementation: "mlserver_lightgbm.LightGBMModel",
  });
  await Deno.writeTextFile(join(folder, "model.bst"), '{"learner": {}}');
  await using srv = await startServer(dir.path);
  const { body } = await postJson(`${srv.url}/v2/repository/index`, {});
  const entry = body.find((m: { name: string }) => m.name === "broken");
  assert.equal(entry.state, "UNAVAILABLE");
  assert.match(entry.reason, /Cannot load LightGBM model .*model\.bst: not a LightGBM text model/);
});

Deno.test("examples/models/iris-lightgbm answers MLServer's LightGBM example request", async () => {
  await using dir = await withTmpDir();
  const example = repoPath("examples", "models", "iris-lightgbm");
  const folder = join(dir.path, "iris-lightgbm");
  await Deno.mkdir(folder);
  for await (const entry of Deno.readDir(example)) {
    await Deno.copyFile(join(example, entry.name), join(folder, entry.name));
  }
  await using srv = await startServer(dir.path);
  // A versicolor row (class 1), as the example sends one test row in FP32.
  const { status, body } = await postJson(
    `${srv.url}/v2/models/iris-lightgbm/versions/v0.1.0/infer`,
    {
      inputs: [{
        name: "predict-prob",
        shape: [1, 4],
        datatype: "FP32",
        data: [[5.9, 3.0, 4.2, 1.5]],
      }],
    },
  );
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.model_version, "v0.1.0");
  const [p0, p1, p2] = body.outputs[0].data;
  assert.ok(p1 > 0.98 && p1 > p0 && p1 > p2, `probabilities ${body.outputs[0].data}`);
});

Deno.test("KServe's way with MLSERVER_MODEL_URI=/mnt/models: the runtime finds model.bst in the folder", async () => {
  await using dir = await withTmpDir();
  const models = join(dir.path, "mnt", "models");
  await Deno.mkdir(models, { recursive: true });
  await Deno.copyFile(IRIS_MODEL, join(models, "model.bst"));
  await using srv = await startServer(models, {
    env: {
      MLSERVER_MODEL_NAME: "iris",
      MLSERVER_MODEL_IMPLEMENTATION: "mlserver_lightgbm.LightGBMModel",
      MLSERVER_MODEL_URI: models,
    },
  });
  await restJson(srv, SERVED[0]!);
  await grpc(srv, SERVED[0]!);
});
