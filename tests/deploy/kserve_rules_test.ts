/**
 * The KServe rules of _kserve_rules.ts checked on cases whose outcome KServe's
 * own code fixes (so a wrong port of a rule fails here), then applied to our
 * ClusterServingRuntimes: what an InferenceService gets when it names them.
 */
import assert from "node:assert/strict";
import {
  namedRuntimeError,
  type Predictor,
  prioritySameError,
  type Runtime,
  supportingRuntimes,
  webhookDenial,
} from "./_kserve_rules.ts";
import { KSERVE_RUNTIMES_V0_20 } from "./_kserve_runtimes.ts";
import { asRuntime, manifest, MANIFESTS } from "./_manifests.ts";

const shipped = KSERVE_RUNTIMES_V0_20;

function runtime(formats: Runtime["spec"]["supportedModelFormats"], protocols = ["v2"]): Runtime {
  return {
    name: "candidate",
    created: 1,
    spec: { protocolVersions: protocols, supportedModelFormats: formats! },
  };
}

Deno.test("webhookDenial: equal set priorities on one auto-selected format and version are refused", () => {
  const cases: [string, Runtime, RegExp | undefined][] = [
    [
      "priority 2 on xgboost 1, as kserve-mlserver",
      runtime([{ name: "xgboost", version: "1", autoSelect: true, priority: 2 }]),
      /same priority assigned for the model format xgboost in the clusterservingruntimes kserve-mlserver and candidate/,
    ],
    [
      "priority 1 on XGBoost 2 (case-insensitive), as kserve-xgbserver",
      runtime([{ name: "XGBoost", version: "2", autoSelect: true, priority: 1 }]),
      /kserve-xgbserver/,
    ],
    [
      "priority 3 is free",
      runtime([{ name: "xgboost", version: "2", autoSelect: true, priority: 3 }]),
      undefined,
    ],
    [
      "no priority never clashes",
      runtime([{ name: "onnx", version: "1", autoSelect: true }]),
      undefined,
    ],
    [
      "autoSelect false never clashes",
      runtime([{ name: "onnx", version: "1", autoSelect: false, priority: 1 }]),
      undefined,
    ],
    [
      "no shared protocol",
      runtime([{ name: "xgboost", version: "1", autoSelect: true, priority: 2 }], ["grpc-v2"]),
      undefined,
    ],
    [
      "another version",
      runtime([{ name: "xgboost", version: "3", autoSelect: true, priority: 2 }]),
      undefined,
    ],
    [
      "different priorities for one name",
      runtime([
        { name: "custom", version: "1", autoSelect: true, priority: 1 },
        { name: "custom", version: "2", autoSelect: true, priority: 2 },
      ]),
      /different priorities assigned for the model format custom/,
    ],
  ];
  for (const [label, candidate, error] of cases) {
    const denial = webhookDenial(candidate, shipped);
    if (error === undefined) assert.equal(denial, undefined, label);
    else assert.match(denial ?? "", error, label);
  }
  const alone = runtime([
    { name: "custom", version: "1", autoSelect: true, priority: 1 },
    { name: "custom", version: "2", autoSelect: true, priority: 2 },
  ]);
  assert.equal(webhookDenial(alone, []), undefined, "checked only next to an existing runtime");
  assert.match(prioritySameError(alone.spec) ?? "", /different priorities/);
});

Deno.test("supportingRuntimes: KServe's own choices for its shipped runtimes", () => {
  const cases: [Predictor, string | undefined][] = [
    [{ modelFormat: { name: "xgboost", version: "2" }, protocolVersion: "v2" }, "kserve-mlserver"],
    [{ modelFormat: { name: "xgboost", version: "2" } }, "kserve-xgbserver"],
    [{ modelFormat: { name: "sklearn" } }, "kserve-sklearnserver"],
    [{ modelFormat: { name: "onnx" }, protocolVersion: "v2" }, "kserve-tritonserver"],
    [{ modelFormat: { name: "onnx" }, protocolVersion: "grpc-v2" }, "kserve-tritonserver"],
    [{ modelFormat: { name: "lightgbm", version: "4" } }, "kserve-lgbserver"],
    [{ modelFormat: { name: "pytorch" }, protocolVersion: "v2" }, undefined],
    [{ modelFormat: { name: "custom" }, protocolVersion: "v2" }, undefined],
  ];
  for (const [p, expected] of cases) {
    assert.equal(supportingRuntimes(p, shipped)[0]?.name, expected, JSON.stringify(p));
  }
});

Deno.test("our KServe runtimes: auto-selected where KServe has none, and named for any listed format", async () => {
  const serverless = asRuntime(await manifest(MANIFESTS.serverless), 1);
  const grpc = asRuntime(await manifest(MANIFESTS.grpc), 2);
  const all = [...shipped, serverless, grpc];
  const auto: [Predictor, string][] = [
    [{ modelFormat: { name: "custom" }, protocolVersion: "v2" }, "kserve-mlserver-deno"],
    [{ modelFormat: { name: "lightgbm", version: "2" }, protocolVersion: "v2" }, serverless.name],
    [{ modelFormat: { name: "sklearn", version: "0" }, protocolVersion: "v2" }, "kserve-mlserver"],
    [{ modelFormat: { name: "onnx", version: "1" }, protocolVersion: "v2" }, "kserve-tritonserver"],
  ];
  for (const [p, expected] of auto) {
    assert.equal(supportingRuntimes(p, all)[0]?.name, expected, JSON.stringify(p));
  }
  for (const { name, version } of serverless.spec.supportedModelFormats!) {
    for (const protocolVersion of [undefined, "v2"]) {
      const p = { modelFormat: { name, version: version! }, runtime: serverless.name };
      const asked = protocolVersion ? { ...p, protocolVersion } : p;
      assert.equal(namedRuntimeError(asked, serverless), undefined, JSON.stringify(asked));
      assert.equal(namedRuntimeError({ ...asked, runtime: grpc.name }, grpc), undefined);
    }
  }
  const xgb = { modelFormat: { name: "xgboost" }, runtime: serverless.name };
  assert.match(
    namedRuntimeError({ ...xgb, protocolVersion: "grpc-v2" }, serverless) ?? "",
    /does not support specified protocol version/,
    "gRPC needs the Standard-mode variant",
  );
  assert.equal(namedRuntimeError({ ...xgb, protocolVersion: "grpc-v2" }, grpc), undefined);
  assert.match(
    namedRuntimeError({ ...xgb, modelFormat: { name: "xgboost", version: "3" } }, serverless) ?? "",
    /does not support specified framework\/version/,
  );
  assert.match(namedRuntimeError(xgb, undefined) ?? "", /Waiting for runtime/);
});
