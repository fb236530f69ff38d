import assert from "node:assert/strict";
import { delimiter, join } from "node:path";
import {
  LAUNCHED,
  listenAddresses,
  planLaunch,
  scanModels,
  takePermissionFlags,
} from "../../src/cli/launcher.ts";
import { silentLogger } from "../../src/logging.ts";
import { ModelRepository } from "../../src/repository/repository.ts";
import { NO_MODEL_SOURCES } from "../../src/settings/load.ts";
import { ServerSettingsSchema } from "../../src/settings/server_settings.ts";
import { withTmpDir, writeModel } from "../_helpers.ts";

const settings = (input: Record<string, unknown> = {}) =>
  ServerSettingsSchema.parse({ model_repository_root: "/srv/models", ...input });

function plan(extra: string[] = [], more: Partial<Parameters<typeof planLaunch>[0]> = {}) {
  return planLaunch({
    settings: settings(),
    env: {
      MLSERVER_DEBUG: "1",
      mlserver_http_port: "8000",
      GRPC_TRACE: "x",
      HOME: "/home/u",
      AWS_SECRET_ACCESS_KEY: "no",
      SECRET: "no",
    },
    cwd: "/work",
    extra,
    onnx: false,
    modelUris: [],
    denoDir: "/home/u/.cache/deno",
    onnxLibraries: ["/usr/local/lib/mlserver/onnxruntime"],
    ...more,
  });
}

const flag = (permissions: string[], kind: string) =>
  permissions.find((p) => p === `--allow-${kind}` || p.startsWith(`--allow-${kind}=`));

Deno.test("takePermissionFlags() splits Deno's --allow-* flags off a command line", () => {
  assert.deepEqual(
    takePermissionFlags(["models", "--allow-net=a:1", "--http-port", "1", "--allow-ffi"]),
    { flags: ["--allow-net=a:1", "--allow-ffi"], rest: ["models", "--http-port", "1"] },
  );
});

Deno.test("planLaunch() grants the folder, the listen addresses, a filtered environment; no write or run", () => {
  const { permissions, env } = plan();
  assert.equal(
    flag(permissions, "read"),
    "--allow-read=/srv/models,/work,/home/u/.cache/deno",
  );
  assert.equal(flag(permissions, "net"), "--allow-net=0.0.0.0:8080,0.0.0.0:8081,0.0.0.0:8082");
  assert.equal(flag(permissions, "env"), "--allow-env", "all of an environment already filtered");
  assert.equal(flag(permissions, "write"), undefined);
  assert.equal(flag(permissions, "run"), undefined);
  assert.equal(flag(permissions, "ffi"), undefined, "no ONNX model, not asked");
  assert.deepEqual(
    Object.keys(env).sort(),
    ["GRPC_TRACE", "HOME", LAUNCHED, "MLSERVER_DEBUG", "mlserver_http_port"].sort(),
  );
});

Deno.test("planLaunch() merges the user's flags into one per kind", () => {
  const { permissions, env } = plan([
    "--allow-net=s3.amazonaws.com:443",
    "--allow-read=/data",
    "--allow-env=AWS_*",
    "--allow-ffi",
  ]);
  assert.equal(
    flag(permissions, "net"),
    "--allow-net=0.0.0.0:8080,0.0.0.0:8081,0.0.0.0:8082,s3.amazonaws.com:443",
  );
  assert.match(flag(permissions, "read")!, /,\/data(,|$)/);
  assert.match(flag(permissions, "read")!, /\/usr\/local\/lib\/mlserver\/onnxruntime/);
  assert.equal(flag(permissions, "ffi"), "--allow-ffi=/usr/local/lib/mlserver/onnxruntime");
  assert.equal(env.AWS_SECRET_ACCESS_KEY, "no", "--allow-env=AWS_* passes those variables on");
  assert.equal(env.SECRET, undefined);
  assert.equal(permissions.filter((p) => p.startsWith("--allow-net")).length, 1);
  const all = plan(["--allow-net"]);
  assert.equal(flag(all.permissions, "net"), "--allow-net", "unscoped wins");
});

Deno.test("planLaunch() grants FFI for the ONNX library when an ONNX model is there", () => {
  assert.equal(
    flag(plan([], { onnx: true }).permissions, "ffi"),
    "--allow-ffi=/usr/local/lib/mlserver/onnxruntime",
  );
  assert.equal(flag(plan([], { onnx: true, onnxLibraries: [] }).permissions, "ffi"), undefined);
});

Deno.test("listenAddresses() names each listener, the host alone for port 0, and the tracing endpoint", () => {
  assert.deepEqual(listenAddresses(settings({ host: "127.0.0.1", http_port: 0 })), [
    "127.0.0.1",
    "127.0.0.1:8081",
    "127.0.0.1:8082",
  ]);
  assert.deepEqual(
    listenAddresses(settings({ metrics_endpoint: null, tracing_server: "otel:4317" })),
    ["0.0.0.0:8080", "0.0.0.0:8081", "otel:4317"],
  );
  assert.deepEqual(listenAddresses(settings({ host: "::1" })).at(0), "[::1]:8080");
  // An endpoint written as a URL grants its host and port, as the tracer reads it.
  assert.equal(
    listenAddresses(settings({ tracing_server: "http://collector:4317/" })).at(-1),
    "collector:4317",
  );
});

Deno.test("planLaunch() reads MLSERVER_MODULE_PATH and MLSERVER_MODEL_URI as the server does", () => {
  const { permissions } = plan([], {
    env: {
      mlserver_module_path: ["/opt/a", "/opt/b"].join(delimiter),
      MLSERVER_MODEL_URI: "file:///mnt/models/model.bst",
    },
  });
  const reads = flag(permissions, "read")!.slice("--allow-read=".length).split(",");
  for (const path of ["/opt/a", "/opt/b", "/mnt/models/model.bst"]) {
    assert.ok(reads.includes(path), `${path} in ${reads}`);
  }
});

Deno.test("scanModels() resolves relative uris against their settings file and spots ONNX models", async () => {
  await using dir = await withTmpDir();
  const models = join(dir.path, "models");
  await writeModel(models, "rel", {
    implementation: "mlserver_xgboost.XGBoostModel",
    parameters: { uri: "../../shared/iris.json" },
  });
  const onnx = await writeModel(models, "exported", {
    implementation: "mlserver_sklearn.SKLearnModel",
  });
  await Deno.writeTextFile(join(onnx, "model.onnx"), "");
  await writeModel(models, "file-url", {
    implementation: "mlserver_xgboost.XGBoostModel",
    parameters: { uri: "file:///mnt/data/model.json" },
  });
  await writeModel(models, "remote", {
    implementation: "mlserver_xgboost.XGBoostModel",
    parameters: { uri: "s3://bucket/model.json" },
  });
  const repository = new ModelRepository({
    root: models,
    defaults: NO_MODEL_SOURCES.defaults,
    logger: silentLogger,
  });
  const { uris, onnx: hasOnnx } = await scanModels(repository);
  assert.ok(uris.includes(join(dir.path, "shared", "iris.json")), JSON.stringify(uris));
  assert.ok(!uris.some((u) => u.startsWith("s3:")), "remote uris need no read grant");
  assert.ok(
    uris.includes("/mnt/data/model.json"),
    "a file: uri is a local path, as getModelUri reads it",
  );
  assert.equal(hasOnnx, true, "a scikit-learn folder holding model.onnx");
});
