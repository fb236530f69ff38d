/**
 * deploy/modelmesh-servingruntime.yaml against ModelMesh Serving's rules
 * (reference modelmesh.md section 4 and _platform_rules.ts): the validator,
 * what the controller needs, the implementation every listed format gets, and
 * its overlap with ModelMesh's own runtimes.
 */
import assert from "node:assert/strict";
import { BUILTIN_RUNTIMES } from "../../runtimes/builtins.ts";
import { loadServerSettings } from "../../src/settings/load.ts";
import { envOf, FORMAT_IMPLEMENTATIONS, manifest, MANIFESTS } from "./_manifests.ts";
import {
  ADAPTER_IMPLEMENTATIONS,
  MODELMESH_POD_PORTS,
  MODELMESH_RUNTIMES,
  modelMeshTypeLabels,
  modelMeshValidatorErrors,
  restrictedErrors,
} from "./_platform_rules.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

Deno.test("ModelMesh runtime passes ModelMesh's validator and has what its controller needs", async () => {
  const { spec } = await manifest(MANIFESTS.modelmesh);
  assert.deepEqual(modelMeshValidatorErrors(spec), []);
  assert.equal(spec.multiModel, true, "ModelMesh ignores runtimes without multiModel");
  assert.deepEqual(spec.protocolVersions, ["grpc-v2"]);
  assert.equal(spec.builtInAdapter.serverType, "mlserver");
  assert.equal(spec.grpcEndpoint, "port:8085", "with a built-in adapter: port:N, the adapter's");
  assert.equal(spec.builtInAdapter.memBufferBytes, 134217728);
  assert.equal(spec.builtInAdapter.modelLoadingTimeoutMillis, 90000);
  const [mlserver, ...others] = spec.containers;
  assert.equal(others.length, 0);
  assert.ok(mlserver.resources.requests.memory, "the memory request feeds the adapter's capacity");
  const env = envOf(mlserver);
  const settings = await loadServerSettings({ env });
  assert.equal(spec.grpcDataEndpoint, `port:${settings.grpc_port}`, "inference goes to our gRPC");
  assert.equal(spec.builtInAdapter.runtimeManagementPort, settings.grpc_port, "RUNTIME_PORT");
  assert.equal(env.MLSERVER_MODELS_DIR, "/models/_mlserver_models/", "where the adapter writes");
  assert.equal(settings.load_models_at_startup, false);
  assert.equal(settings.host, "127.0.0.1", "only the sidecars call it");
  assert.equal(settings.grpc_max_message_length, -1, "ModelMesh limits sizes in front of us");
  for (const port of [settings.http_port, settings.grpc_port, settings.metrics_port]) {
    assert.ok(!MODELMESH_POD_PORTS.includes(port), `${port} is taken in the ModelMesh pod`);
  }
  // Our securityContext replaces the drop-ALL one the controller would add.
  assert.deepEqual(restrictedErrors(mlserver), []);
});

Deno.test("modelMeshValidatorErrors refuses what ModelMesh's validator refuses", async () => {
  const { spec } = await manifest(MANIFESTS.modelmesh);
  const cases: [string, (s: Any) => void, RegExp][] = [
    ["readinessProbe", (s) => s.containers[0].readinessProbe = {}, /managed by modelmesh/],
    ["container name", (s) => s.containers[0].name = "mm-server", /container name|must include/],
    ["port 8080", (s) => s.containers[0].ports = [{ containerPort: 8080 }], /8080 is reserved/],
    ["port name", (s) => s.containers[0].ports = [{ containerPort: 9, name: "grpc" }], /port name/],
    ["server type", (s) => s.builtInAdapter.serverType = "mlserver2", /unrecognized/],
    ["volume", (s) => s.volumes = [{ name: "models-dir" }], /volume models-dir/],
  ];
  for (const [label, mutate, error] of cases) {
    const copy = structuredClone(spec);
    mutate(copy);
    assert.match(modelMeshValidatorErrors(copy).join("\n"), error, label);
  }
});

Deno.test("ModelMesh runtime: every listed format gets its built-in implementation from the adapter or the fallback", async () => {
  const { spec } = await manifest(MANIFESTS.modelmesh);
  const fallback = envOf(spec.containers[0]).MLSERVER_MODEL_IMPLEMENTATION;
  assert.notEqual(fallback, "my_runtime.MyModel");
  for (const { name } of spec.supportedModelFormats) {
    // What the adapter writes into the generated model-settings.json, else the env.
    const implementation = ADAPTER_IMPLEMENTATIONS[name] ?? fallback;
    assert.equal(implementation, FORMAT_IMPLEMENTATIONS[name], `${name} gets ${implementation}`);
    assert.ok(implementation! in BUILTIN_RUNTIMES, `${name}: ${implementation} is built in`);
  }
  const names = new Set(spec.supportedModelFormats.map((f: Any) => f.name));
  assert.deepEqual([...names].sort(), ["lightgbm", "onnx", "sklearn", "xgboost"]);
  assert.ok(spec.supportedModelFormats.every((f: Any) => f.autoSelect === true));
});

Deno.test("ModelMesh runtime overlaps mlserver-1.x on sklearn 0, xgboost 1, lightgbm 3 and triton-2.x on onnx 1, by placement label", async () => {
  const { spec } = await manifest(MANIFESTS.modelmesh);
  const ours = modelMeshTypeLabels(spec, "mlserver-deno");
  const overlap = Object.fromEntries(MODELMESH_RUNTIMES.map(({ name, spec: theirs }) => [
    name,
    [...modelMeshTypeLabels(theirs, name)].filter((l) => ours.has(l)).sort(),
  ]));
  assert.deepEqual(overlap, {
    "mlserver-1.x": [
      "mt:lightgbm",
      "mt:lightgbm:3",
      "mt:sklearn",
      "mt:sklearn:0",
      "mt:xgboost",
      "mt:xgboost:1",
    ],
    "triton-2.x": ["mt:onnx", "mt:onnx:1"],
  });
  // A model that names the runtime needs rt:mlserver-deno, which only our pods carry.
  for (const { name, spec: theirs } of MODELMESH_RUNTIMES) {
    assert.ok(!modelMeshTypeLabels(theirs, name).has("rt:mlserver-deno"));
  }
  assert.ok(ours.has("rt:mlserver-deno"));
});
