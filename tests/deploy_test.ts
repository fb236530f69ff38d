/**
 * deploy/ against the rules of reference/modelmesh.md section 4 (ModelMesh
 * Serving's validator and controller) and section 5 (KServe).
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { loadServerSettings } from "../src/settings/load.ts";
import { repoPath } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

async function manifest(name: string): Promise<Any> {
  return parse(await Deno.readTextFile(repoPath("deploy", name)));
}

function envOf(container: Any): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e: Any) => [e.name, String(e.value)]));
}

const RESERVED_CONTAINER_NAMES = ["mm", "rest-proxy", "puller"];
const RESERVED_PORT_NAMES = ["grpc", "http", "prometheus"];
const RESERVED_PORTS = [8080, 8085, 8089, 8090, ...Array.from({ length: 19 }, (_, i) => 11881 + i)];

Deno.test("deploy/modelmesh-servingruntime.yaml follows ModelMesh's rules", async () => {
  const runtime = await manifest("modelmesh-servingruntime.yaml");
  assert.equal(runtime.kind, "ServingRuntime");
  assert.equal(runtime.apiVersion, "serving.kserve.io/v1alpha1");
  const spec = runtime.spec;
  assert.equal(spec.multiModel, true, "ModelMesh ignores runtimes without multiModel");
  assert.deepEqual(spec.protocolVersions, ["grpc-v2"]);
  assert.equal(spec.grpcEndpoint, "port:8085", "the adapter port");
  assert.equal(spec.grpcDataEndpoint, "port:8001", "inference must go to our gRPC port");
  assert.equal(spec.builtInAdapter.serverType, "mlserver");
  assert.equal(spec.builtInAdapter.runtimeManagementPort, 8001);
  assert.equal(spec.builtInAdapter.memBufferBytes, 134217728);
  assert.equal(spec.builtInAdapter.modelLoadingTimeoutMillis, 90000);
  assert.ok(
    spec.supportedModelFormats.some((f: Any) => f.autoSelect === true),
    "autoSelect formats get placed",
  );
  // Every model format listed besides custom has a built-in runtime under the
  // name the adapter writes for it.
  const { BUILTIN_RUNTIMES } = await import("../runtimes/builtins.ts");
  const adapterNames: Record<string, string> = {
    xgboost: "mlserver_xgboost.XGBoostModel",
    lightgbm: "mlserver_lightgbm.LightGBMModel",
  };
  for (const { name } of spec.supportedModelFormats) {
    if (name === "custom") continue;
    assert.ok(adapterNames[name] !== undefined, `format ${name} has no known adapter mapping`);
    assert.ok(
      adapterNames[name]! in BUILTIN_RUNTIMES,
      `${name}: ${adapterNames[name]} is built in`,
    );
  }
  const names = spec.containers.map((c: Any) => c.name);
  assert.ok(
    names.includes(spec.builtInAdapter.serverType),
    "a container named like serverType must exist",
  );
  for (const container of spec.containers) {
    assert.ok(
      !RESERVED_CONTAINER_NAMES.includes(container.name) && !container.name.startsWith("mm-"),
      container.name,
    );
    assert.equal(container.readinessProbe, undefined, "readinessProbe is not allowed");
    assert.equal(container.lifecycle, undefined, "lifecycle is not allowed");
    for (const port of container.ports ?? []) {
      assert.ok(!RESERVED_PORT_NAMES.includes(port.name), `port name ${port.name} is reserved`);
      assert.ok(
        !RESERVED_PORTS.includes(port.containerPort),
        `port ${port.containerPort} is reserved`,
      );
    }
  }
  const mlserver = spec.containers.find((c: Any) => c.name === "mlserver");
  assert.ok(mlserver.resources.requests.memory, "the memory request feeds the adapter's capacity");
  const env = envOf(mlserver);
  assert.equal(env.MLSERVER_MODELS_DIR, "/models/_mlserver_models/");
  assert.equal(env.MLSERVER_GRPC_PORT, "8001");
  assert.equal(env.MLSERVER_HTTP_PORT, "8002");
  assert.equal(env.MLSERVER_LOAD_MODELS_AT_STARTUP, "false");
  assert.equal(env.MLSERVER_HOST, "127.0.0.1");
  assert.equal(env.MLSERVER_GRPC_MAX_MESSAGE_LENGTH, "-1");
  assert.ok(
    env.MLSERVER_MODEL_IMPLEMENTATION,
    "custom models get their implementation from the environment",
  );
  // The server reads this environment as intended.
  const settings = await loadServerSettings({ env });
  assert.equal(settings.grpc_port, 8001);
  assert.equal(settings.http_port, 8002);
  assert.equal(settings.load_models_at_startup, false);
  assert.equal(settings.host, "127.0.0.1");
  assert.equal(settings.grpc_max_message_length, -1);
  assert.ok(!RESERVED_PORTS.includes(settings.metrics_port));
});

Deno.test("deploy/kserve-clusterservingruntime.yaml follows KServe's rules", async () => {
  const runtime = await manifest("kserve-clusterservingruntime.yaml");
  assert.equal(runtime.kind, "ClusterServingRuntime");
  const spec = runtime.spec;
  assert.ok(spec.protocolVersions.includes("v2") && spec.protocolVersions.includes("grpc-v2"));
  assert.notEqual(spec.multiModel, true);
  const [container, ...others] = spec.containers;
  assert.equal(others.length, 0);
  assert.equal(
    container.name,
    "kserve-container",
    "KServe merges the predictor into this container",
  );
  const env = envOf(container);
  assert.equal(env.MLSERVER_MODEL_NAME, "{{.Name}}", "the InferenceService name");
  assert.equal(
    env.MLSERVER_MODEL_URI,
    "/mnt/models",
    "where the storage initializer puts the model",
  );
  assert.ok(
    !Object.values(env).some((v) => v.includes(".Labels.")),
    "no label templates that render <no value>",
  );
  const ports = container.ports;
  assert.equal(ports[0].containerPort, 8080, "plain traffic goes to the first port");
  const grpcPort = ports.find((p: Any) => p.name.includes("h2c") || p.name.includes("grpc"));
  assert.ok(grpcPort, "gRPC is exposed only through a port named h2c or grpc");
  const settings = await loadServerSettings({ env });
  assert.equal(settings.http_port, 8080);
  assert.equal(settings.grpc_port, grpcPort.containerPort);
  assert.equal(container.readinessProbe.httpGet.path, "/v2/health/ready");
  // Formats KServe's own runtimes serve are not auto-selected here, so an
  // InferenceService that names no runtime still gets KServe's.
  const kserveOwn = ["sklearn", "xgboost", "lightgbm", "mlflow", "tensorflow", "pytorch", "onnx"];
  for (const format of spec.supportedModelFormats) {
    if (kserveOwn.includes(format.name)) {
      assert.notEqual(format.autoSelect, true, `${format.name} ${format.version} is auto-selected`);
    }
  }
});
