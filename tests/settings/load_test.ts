import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidSettingsError } from "../../src/errors.ts";
import {
  environmentModel,
  loadModelSettingsFile,
  loadServerSettings,
  NO_MODEL_SOURCES,
  readModelSources,
} from "../../src/settings/load.ts";
import { VERSION } from "../../src/version.ts";
import { withTmpDir, writeModel } from "../_helpers.ts";

Deno.test("loadServerSettings() applies MLServer's defaults", async () => {
  const settings = await loadServerSettings({ env: {} });
  assert.equal(settings.http_port, 8080);
  assert.equal(settings.grpc_port, 8081);
  assert.equal(settings.metrics_port, 8082);
  assert.equal(settings.host, "0.0.0.0");
  assert.equal(settings.server_name, "mlserver");
  assert.equal(settings.server_version, VERSION);
  assert.equal(settings.grpc_max_message_length, 64 * 1024 * 1024);
  assert.equal(settings.max_request_size, 256 * 1024 * 1024);
  assert.equal(settings.metrics_endpoint, "/metrics");
  assert.equal(settings.load_models_at_startup, true);
  assert.equal(settings.inference_timeout, null);
  assert.ok(Object.isFrozen(settings));
});

Deno.test("loadServerSettings() ranks flags over the file over the environment", async () => {
  await using dir = await withTmpDir();
  await Deno.writeTextFile(
    join(dir.path, "settings.json"),
    JSON.stringify({ http_port: 9000, grpc_port: 9001, unknown_key: true }),
  );
  const settings = await loadServerSettings({
    folder: dir.path,
    env: { MLSERVER_HTTP_PORT: "7000", MLSERVER_GRPC_PORT: "7001", MLSERVER_METRICS_PORT: "7002" },
    flags: { http_port: 6000 },
  });
  assert.equal(settings.http_port, 6000, "flag beats file");
  assert.equal(settings.grpc_port, 9001, "file beats environment");
  assert.equal(settings.metrics_port, 7002, "environment beats default");
});

Deno.test("loadServerSettings() reads environment names case-insensitively with coercion", async (t) => {
  const cases: {
    name: string;
    env: Record<string, string>;
    check: (s: Awaited<ReturnType<typeof loadServerSettings>>) => void;
  }[] = [
    {
      name: "yes/no booleans",
      env: { mlserver_debug: "yes", MLSERVER_GZIP_ENABLED: "off" },
      check: (s) => {
        assert.equal(s.debug, true);
        assert.equal(s.gzip_enabled, false);
      },
    },
    {
      name: "1/0 booleans",
      env: { MLSERVER_LOAD_MODELS_AT_STARTUP: "0" },
      check: (s) => assert.equal(s.load_models_at_startup, false),
    },
    {
      name: "JSON lists",
      env: { MLSERVER_EXTENSIONS: '["a","b"]' },
      check: (s) => assert.deepEqual(s.extensions, ["a", "b"]),
    },
    {
      name: "JSON objects with defaults",
      env: { MLSERVER_CORS_SETTINGS: '{"allow_origins":["*"]}' },
      check: (s) => {
        assert.deepEqual(s.cors_settings?.allow_origins, ["*"]);
        assert.deepEqual(s.cors_settings?.allow_methods, ["GET"]);
      },
    },
    {
      name: "null for nullable fields",
      env: { MLSERVER_METRICS_ENDPOINT: "none" },
      check: (s) => assert.equal(s.metrics_endpoint, null),
    },
    {
      name: "-1 message length",
      env: { MLSERVER_GRPC_MAX_MESSAGE_LENGTH: "-1" },
      check: (s) => assert.equal(s.grpc_max_message_length, -1),
    },
    {
      name: "logging settings as a path",
      env: { MLSERVER_LOGGING_SETTINGS: "./logging.json" },
      check: (s) => assert.equal(s.logging_settings, "./logging.json"),
    },
    {
      name: "float seconds",
      env: { MLSERVER_INFERENCE_TIMEOUT: "2.5" },
      check: (s) => assert.equal(s.inference_timeout, 2.5),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => c.check(await loadServerSettings({ env: c.env })));
  }
});

Deno.test("loadServerSettings() names the bad variable, file and key", async (t) => {
  await using dir = await withTmpDir();
  await t.step("unreadable boolean", async () => {
    await assert.rejects(loadServerSettings({ env: { MLSERVER_DEBUG: "maybe" } }), {
      name: "InvalidSettingsError",
      message:
        'Invalid settings: debug (from environment variable MLSERVER_DEBUG): expected boolean, got "maybe"',
    });
  });
  await t.step("not a number", async () => {
    await assert.rejects(loadServerSettings({ env: { MLSERVER_HTTP_PORT: "eighty" } }), {
      message:
        /http_port \(from environment variable MLSERVER_HTTP_PORT\): expected number, got "eighty"/,
    });
  });
  await t.step("wrong type in the file", async () => {
    await Deno.writeTextFile(join(dir.path, "settings.json"), JSON.stringify({ http_port: "x" }));
    await assert.rejects(loadServerSettings({ folder: dir.path, env: {} }), (err: unknown) => {
      assert.ok(err instanceof InvalidSettingsError);
      assert.match(
        err.message,
        /http_port \(from file .*settings\.json\): expected number, got/,
      );
      return true;
    });
  });
  await t.step("port out of range from the environment", async () => {
    await Deno.remove(join(dir.path, "settings.json"));
    await assert.rejects(
      loadServerSettings({ folder: dir.path, env: { MLSERVER_GRPC_PORT: "70000" } }),
      {
        message: /grpc_port \(from environment variable MLSERVER_GRPC_PORT\): Too big/,
      },
    );
  });
  await t.step("malformed JSON file", async () => {
    await Deno.writeTextFile(join(dir.path, "settings.json"), "{ nope");
    await assert.rejects(loadServerSettings({ folder: dir.path, env: {} }), {
      message: /^Cannot parse .*settings\.json: /,
    });
  });
});

Deno.test("loadModelSettingsFile() derives name and uri from the folder", async () => {
  await using dir = await withTmpDir();
  const folder = await writeModel(dir.path, "my-model", { implementation: "m.M" });
  const settings = await loadModelSettingsFile(join(folder, "model-settings.json"), {
    defaults: NO_MODEL_SOURCES.defaults,
  });
  assert.equal(settings.name, "my-model");
  assert.equal(settings.parameters.uri, folder);
  assert.equal(settings._source, join(folder, "model-settings.json"));
  assert.equal(settings.max_batch_size, 0);
  assert.deepEqual(settings.parameters.extra, {});
});

Deno.test("loadModelSettingsFile() lets the environment fill only what the file leaves out", async (t) => {
  await using dir = await withTmpDir();
  const env = {
    MLSERVER_MODEL_NAME: "from-env",
    MLSERVER_MODEL_IMPLEMENTATION: "env_module.EnvModel",
    MLSERVER_MODEL_URI: "/env/uri",
    MLSERVER_MODEL_VERSION: "7",
    MLSERVER_MODEL_MAX_BATCH_SIZE: "8",
    MLSERVER_MODEL_EXTRA: '{"k":1}',
  };
  await t.step("ModelMesh's generated file (name and uri only)", async () => {
    const folder = await writeModel(dir.path, "generated", {
      name: "mm-id",
      parameters: { uri: "/models/x" },
    });
    const s = await loadModelSettingsFile(join(folder, "model-settings.json"), {
      defaults: readModelSources(env).defaults,
    });
    assert.equal(s.name, "mm-id", "file name wins");
    assert.equal(s.implementation, "env_module.EnvModel", "environment fills implementation");
    assert.equal(s.parameters.uri, "/models/x", "file uri wins");
    assert.equal(s.parameters.version, "7", "flat MLSERVER_MODEL_VERSION fills parameters.version");
    assert.deepEqual(s.parameters.extra, { k: 1 });
    assert.equal(s.max_batch_size, 8);
  });
  await t.step("environment beats derived defaults", async () => {
    const folder = await writeModel(dir.path, "bare", {});
    const s = await loadModelSettingsFile(join(folder, "model-settings.json"), {
      defaults: readModelSources(env).defaults,
    });
    assert.equal(s.name, "from-env");
    assert.equal(s.parameters.uri, "/env/uri");
  });
  await t.step("file values beat the environment everywhere", async () => {
    const folder = await writeModel(dir.path, "full", {
      name: "full",
      implementation: "file_module.FileModel",
      max_batch_size: 2,
      parameters: { version: 3, extra: { k: 2 }, custom: "kept" },
    });
    const s = await loadModelSettingsFile(join(folder, "model-settings.json"), {
      defaults: readModelSources(env).defaults,
    });
    assert.equal(s.implementation, "file_module.FileModel");
    assert.equal(s.max_batch_size, 2);
    assert.equal(s.parameters.version, "3", "numeric versions become names");
    assert.deepEqual(s.parameters.extra, { k: 2 });
    assert.equal(s.parameters.custom, "kept", "unknown parameters are kept");
  });
  await t.step("MLSERVER_MODEL_PARAMETERS as JSON, flat variables over it", async () => {
    const folder = await writeModel(dir.path, "params", { implementation: "a.B" });
    const s = await loadModelSettingsFile(join(folder, "model-settings.json"), {
      defaults: readModelSources({
        MLSERVER_MODEL_PARAMETERS: '{"format":"json","version":"1"}',
        MLSERVER_MODEL_VERSION: "2",
      }).defaults,
    });
    assert.equal(s.parameters.format, "json");
    assert.equal(s.parameters.version, "2");
  });
});

Deno.test("loadModelSettingsFile() explains what is wrong and where", async (t) => {
  await using dir = await withTmpDir();
  await t.step("missing implementation", async () => {
    const folder = await writeModel(dir.path, "no-impl", {});
    await assert.rejects(
      loadModelSettingsFile(join(folder, "model-settings.json"), {
        defaults: NO_MODEL_SOURCES.defaults,
      }),
      {
        name: "InvalidSettingsError",
        message:
          /implementation: required but missing \(set it in .*no-impl\/model-settings\.json or MLSERVER_MODEL_IMPLEMENTATION\)/,
      },
    );
  });
  await t.step("nested key path", async () => {
    const folder = await writeModel(dir.path, "bad-input", {
      implementation: "a.B",
      inputs: [{ name: "x", datatype: "FP33", shape: [1] }],
    });
    await assert.rejects(
      loadModelSettingsFile(join(folder, "model-settings.json"), {
        defaults: NO_MODEL_SOURCES.defaults,
      }),
      {
        message:
          /inputs\[0\]\.datatype \(from file .*bad-input\/model-settings\.json\): Invalid option/,
      },
    );
  });
  await t.step("bad environment value names the variable", async () => {
    const folder = await writeModel(dir.path, "env-bad", { implementation: "a.B" });
    await assert.rejects(
      loadModelSettingsFile(join(folder, "model-settings.json"), {
        defaults: readModelSources({ MLSERVER_MODEL_MAX_BATCH_SIZE: "-3" }).defaults,
      }),
      {
        message:
          /max_batch_size \(from environment variable MLSERVER_MODEL_MAX_BATCH_SIZE\): Too small/,
      },
    );
  });
  await t.step("parameters must be an object", async () => {
    const folder = await writeModel(dir.path, "params-list", {
      implementation: "a.B",
      parameters: [],
    });
    await assert.rejects(
      loadModelSettingsFile(join(folder, "model-settings.json"), {
        defaults: NO_MODEL_SOURCES.defaults,
      }),
      {
        message: /parameters: expected an object/,
      },
    );
  });
});

Deno.test("environmentModel() builds the environment-only model", () => {
  assert.equal(
    environmentModel(readModelSources({ MLSERVER_MODEL_NAME: "dummy-model-fixme" }).defaults),
    undefined,
  );
  const settings = environmentModel(
    readModelSources({
      MLSERVER_MODEL_NAME: "x",
      mlserver_model_implementation: "custom_model.CustomMLModel",
      MLSERVER_MODEL_URI: "/mnt/models",
    }).defaults,
  );
  assert.equal(settings?.name, "x");
  assert.equal(settings?.parameters.uri, "/mnt/models");
  assert.equal(settings?._source, undefined);
  assert.throws(
    () => environmentModel(readModelSources({ MLSERVER_MODEL_IMPLEMENTATION: "a.B" }).defaults),
    {
      message: /name: required but missing \(set it in MLSERVER_MODEL_NAME\)/,
    },
  );
});
