/**
 * Settings as MLServer users write them. MLServer validates with pydantic in
 * lax mode, and its own examples depend on it (`"debug": "true"` in 22 of
 * the 29 settings.json files of its repository). The corpus below holds the
 * kinds of values found there and in real deployments, in files and in the
 * environment; every runtime we have must start and serve with them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidSettingsError } from "../../src/errors.ts";
import { silentLogger } from "../../src/logging.ts";
import { ModelServer } from "../../src/server.ts";
import { loadServerSettings, readModelSources } from "../../src/settings/load.ts";
import { resolveModelSettings } from "../../src/settings/model_settings.ts";
import { ServerSettingsSchema } from "../../src/settings/server_settings.ts";
import { fixture, postJson, RUNTIMES, withTmpDir, writeModel } from "../_helpers.ts";

/** Values pydantic's lax mode accepts, and what they become. */
const ACCEPTED: { name: string; key: string; value: unknown; expected: unknown }[] = [
  { name: '"true"', key: "debug", value: "true", expected: true },
  { name: '"True"', key: "debug", value: "True", expected: true },
  { name: '" yes "', key: "gzip_enabled", value: " yes ", expected: true },
  { name: '"off"', key: "gzip_enabled", value: "off", expected: false },
  { name: '"0"', key: "load_models_at_startup", value: "0", expected: false },
  { name: "1 for a boolean", key: "use_structured_logging", value: 1, expected: true },
  { name: "0 for a boolean", key: "debug", value: 0, expected: false },
  { name: '"8080"', key: "http_port", value: "8080", expected: 8080 },
  { name: "16.0 for an integer", key: "parallel_workers", value: 16.0, expected: 16 },
  { name: '"2.0" for an integer', key: "parallel_workers", value: "2.0", expected: 2 },
  { name: '"2.5" for a number', key: "inference_timeout", value: "2.5", expected: 2.5 },
  { name: '"-1"', key: "grpc_max_message_length", value: "-1", expected: -1 },
  { name: "a number for a string", key: "server_version", value: 2, expected: "2" },
  { name: "a number for a string (root_path)", key: "root_path", value: 0, expected: "0" },
];

/** Values pydantic refuses too, and the message naming the key. */
const REFUSED: { name: string; key: string; value: unknown; message: RegExp }[] = [
  {
    name: '"maybe"',
    key: "debug",
    value: "maybe",
    message: /debug .*expected boolean, got "maybe"/,
  },
  { name: "2 for a boolean", key: "debug", value: 2, message: /debug .*expected boolean, got 2/ },
  { name: "8.5 for an integer", key: "http_port", value: 8.5, message: /http_port .*expected int/ },
  {
    name: '"eight"',
    key: "parallel_workers",
    value: "eight",
    message: /expected number, got "eight"/,
  },
  { name: "a list for a string", key: "host", value: ["a"], message: /host .*expected string/ },
  { name: '"" for a number', key: "http_port", value: "", message: /http_port .*expected number/ },
];

Deno.test("server settings: lax values in settings.json are read as MLServer reads them", async (t) => {
  await using dir = await withTmpDir();
  for (const c of ACCEPTED) {
    await t.step(c.name, async () => {
      await Deno.writeTextFile(
        join(dir.path, "settings.json"),
        JSON.stringify({ [c.key]: c.value }),
      );
      const settings = await loadServerSettings({ folder: dir.path, env: {} });
      assert.deepEqual(settings[c.key as keyof typeof settings], c.expected);
    });
  }
  for (const c of REFUSED) {
    await t.step(`refused: ${c.name}`, async () => {
      await Deno.writeTextFile(
        join(dir.path, "settings.json"),
        JSON.stringify({ [c.key]: c.value }),
      );
      await assert.rejects(loadServerSettings({ folder: dir.path, env: {} }), (err: unknown) => {
        assert.ok(err instanceof InvalidSettingsError);
        assert.match(err.message, c.message);
        assert.match(err.message, /settings\.json/, "names the file");
        return true;
      });
    });
  }
});

Deno.test("server settings: the environment follows the same rule", async (t) => {
  const cases: [Record<string, string>, Partial<Record<string, unknown>>][] = [
    [{ MLSERVER_DEBUG: "True" }, { debug: true }],
    [{ MLSERVER_PARALLEL_WORKERS: "2.0" }, { parallel_workers: 2 }],
    [{ MLSERVER_SERVER_VERSION: "7" }, { server_version: "7" }],
    [{ MLSERVER_INFERENCE_TIMEOUT: "none" }, { inference_timeout: null }],
    [{ mlserver_gzip_enabled: "n" }, { gzip_enabled: false }],
  ];
  for (const [env, expected] of cases) {
    await t.step(JSON.stringify(env), async () => {
      const settings = await loadServerSettings({ env });
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(settings[key as keyof typeof settings], value);
      }
    });
  }
  await t.step("refused: MLSERVER_PARALLEL_WORKERS=1.5", async () => {
    await assert.rejects(loadServerSettings({ env: { MLSERVER_PARALLEL_WORKERS: "1.5" } }), {
      message: /parallel_workers \(from environment variable MLSERVER_PARALLEL_WORKERS\): .*int/,
    });
  });
});

Deno.test("model settings: lax values in model-settings.json and MLSERVER_MODEL_*", () => {
  const settings = resolveModelSettings(
    {
      name: "m",
      max_batch_size: "8",
      max_batch_time: "0.5",
      warm_workers: "false",
      parallel_workers: 0.0,
      max_concurrency: "4",
      versions: [1, "v2"],
      inputs: [{ name: "x", datatype: "FP32", shape: ["-1", 4] }],
      parameters: { version: 1, uri: "./model.bst", extra: { kept: "as is" } },
    } as Parameters<typeof resolveModelSettings>[0],
  );
  assert.equal(settings.max_batch_size, 8);
  assert.equal(settings.max_batch_time, 0.5);
  assert.equal(settings.warm_workers, false);
  assert.equal(settings.parallel_workers, 0);
  assert.equal(settings.max_concurrency, 4);
  assert.deepEqual(settings.versions, ["1", "v2"]);
  assert.deepEqual(settings.inputs[0]!.shape, [-1, 4]);
  assert.equal(settings.parameters.version, "1");
  assert.deepEqual(settings.parameters.extra, { kept: "as is" });
  assert.throws(() => resolveModelSettings({ name: "m", max_batch_size: 8.5 }), {
    message: /max_batch_size/,
  });
  const defaults = readModelSources({
    MLSERVER_MODEL_MAX_BATCH_SIZE: "16.0",
    MLSERVER_MODEL_VERSION: "3",
  }).defaults;
  assert.equal(defaults.fields.max_batch_size, "16.0", "passed on as given; the schema reads it");
  assert.equal(
    ServerSettingsSchema.parse({ debug: "yes" }).debug,
    true,
    "the schemas themselves are lax",
  );
});

/** One model folder per runtime we have, each with MLServer-style values in its settings. */
async function writeCorpus(root: string): Promise<void> {
  const lax = {
    max_batch_size: "8",
    max_batch_time: "0.5",
    parallel_workers: "0",
    warm_workers: "false",
    platform: "mlserver",
    versions: ["runtime/v1.2.3"],
  };
  const copy = async (folder: string, from: string, to: string) => {
    await Deno.mkdir(join(root, folder), { recursive: true });
    await Deno.copyFile(from, join(root, folder, to));
  };
  await copy("xgb", fixture("xgboost", "iris_softprob.json"), "model.json");
  await writeModel(root, "xgb", {
    ...lax,
    name: "iris-xgb",
    implementation: "mlserver_xgboost.XGBoostModel",
    parameters: { version: 1 },
  });
  await copy("lgb", fixture("lightgbm", "iris-lightgbm.bst"), "iris-lightgbm.bst");
  await writeModel(root, "lgb", {
    ...lax,
    name: "iris-lgb",
    implementation: "mlserver_lightgbm.LightGBMModel",
    parameters: { uri: "./iris-lightgbm.bst", version: "v0.1.0" },
  });
  await copy("skl", fixture("sklearn", "forest_iris.joblib"), "model.joblib");
  await writeModel(root, "skl", {
    ...lax,
    name: "iris-skl",
    implementation: "mlserver_sklearn.SKLearnModel",
    inputs: [{ name: "input-0", datatype: "FP32", shape: ["-1", "4"] }],
  });
  await copy("onnx", fixture("onnx", "sklearn", "random_forest.onnx"), "model.onnx");
  await writeModel(root, "onnx", {
    ...lax,
    name: "iris-onnx",
    implementation: "mlserver_sklearn.SKLearnModel",
  });
  await writeModel(root, "custom", { ...lax, name: "echo", implementation: RUNTIMES.echo });
  // A model of a Python runtime: it fails on its implementation, never on a key.
  await writeModel(root, "python", {
    ...lax,
    name: "sum-model",
    implementation: "models.SumModel",
  });
  await Deno.writeTextFile(
    join(root, "settings.json"),
    JSON.stringify({
      debug: "true",
      kafka_enabled: "true",
      parallel_workers: "0",
      gzip_enabled: "false",
    }),
  );
}

Deno.test("every runtime starts and serves with MLServer-style settings files", async () => {
  await using dir = await withTmpDir();
  await writeCorpus(dir.path);
  const env = { MLSERVER_LOAD_MODELS_AT_STARTUP: "True", MLSERVER_HOST: "127.0.0.1" };
  const settings = await loadServerSettings({
    folder: dir.path,
    env,
    flags: { http_port: 0, grpc_port: 0, metrics_port: 0, model_repository_root: dir.path },
  });
  assert.equal(settings.debug, true);
  await using server = new ModelServer({
    settings,
    models: readModelSources(env),
    logger: silentLogger,
  });
  await server.start();
  await server.startupDone;
  const url = `http://127.0.0.1:${server.httpPort}`;
  const row = { name: "input-0", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] };
  for (const model of ["iris-xgb", "iris-lgb", "iris-skl", "iris-onnx", "echo"]) {
    const { status, body } = await postJson(`${url}/v2/models/${model}/infer`, { inputs: [row] });
    assert.equal(status, 200, `${model}: ${JSON.stringify(body)}`);
    assert.ok(body.outputs.length > 0, model);
  }
  const index = (await postJson(`${url}/v2/repository/index`, {})).body;
  const python = index.find((m: { name: string }) => m.name === "sum-model");
  assert.equal(python.state, "UNAVAILABLE");
  assert.match(
    python.reason,
    /^Cannot load implementation 'models\.SumModel': module 'models' not found/,
  );
  const others = index.filter((m: { name: string }) => m.name !== "sum-model");
  assert.ok(others.every((m: { state: string }) => m.state === "READY"), JSON.stringify(others));
});
