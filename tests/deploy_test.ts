/**
 * deploy/ checked against the rules the manifests depend on: KServe's
 * v1alpha1 CRD schema (tests/deploy/_crd_schema.ts), KServe's webhook and
 * runtime selection (_kserve_rules.ts) with the runtimes KServe ships
 * (_kserve_runtimes.ts),
 * Knative's revision validation, the restricted Pod Security profile,
 * Kubernetes' names, and ModelMesh's validator, placement and adapter
 * (_platform_rules.ts). The server reading each manifest's environment is in
 * tests/deploy/serve_test.ts.
 */
import assert from "node:assert/strict";
import { BUILTIN_RUNTIMES } from "../runtimes/builtins.ts";
import { loadServerSettings } from "../src/settings/load.ts";
import { repoPath } from "./_helpers.ts";
import { schemaErrors, SERVING_RUNTIME } from "./deploy/_crd_schema.ts";
import {
  type Predictor,
  supportingRuntimes,
  tiedWithFirst,
  webhookDenial,
} from "./deploy/_kserve_rules.ts";
import {
  KSERVE_OPENVINO_V0_20,
  KSERVE_RUNTIMES_V0_15,
  KSERVE_RUNTIMES_V0_20,
} from "./deploy/_kserve_runtimes.ts";
import {
  asRuntime,
  envOf,
  FORMAT_IMPLEMENTATIONS,
  manifest,
  MANIFESTS,
  mergedEnv,
} from "./deploy/_manifests.ts";
import { knativeErrors, kubernetesNameErrors, restrictedErrors } from "./deploy/_platform_rules.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const META = { name: "mushroom", namespace: "models" };

Deno.test("deploy/*.yaml fit KServe's v1alpha1 (Cluster)ServingRuntime schema and Kubernetes' names", async () => {
  const kinds = {
    [MANIFESTS.serverless]: "ClusterServingRuntime",
    [MANIFESTS.grpc]: "ClusterServingRuntime",
    [MANIFESTS.modelmesh]: "ServingRuntime",
  };
  for (const [file, kind] of Object.entries(kinds)) {
    const doc = await manifest(file);
    assert.equal(doc.apiVersion, "serving.kserve.io/v1alpha1", file);
    assert.equal(doc.kind, kind, file);
    assert.deepEqual(schemaErrors(doc, SERVING_RUNTIME), [], file);
    assert.equal(doc.metadata.namespace, undefined, `${file}: applied with -n, or cluster-scoped`);
    for (const c of doc.spec.containers) assert.deepEqual(kubernetesNameErrors(c), [], file);
  }
});

Deno.test("schemaErrors refuses what the CRD refuses", async () => {
  const base = await manifest(MANIFESTS.serverless);
  const cases: [string, (doc: Any) => void, RegExp][] = [
    ["version as a number", (d) => d.spec.supportedModelFormats[0].version = 1, /expected string/],
    ["priority 0", (d) => d.spec.supportedModelFormats[0].priority = 0, /out of range/],
    ["unknown field", (d) => d.spec.containers[0].port = 8080, /port: unknown field/],
    ["annotation as a number", (d) => d.spec.annotations.x = 8080, /expected string/],
    ["no containers", (d) => delete d.spec.containers, /containers is required/],
    ["bad quantity", (d) => d.spec.containers[0].resources.limits.cpu = "2 cores", /quantity/],
    ["duplicate env", (d) => d.spec.containers[0].env.push({ name: "MLSERVER_HTTP_PORT" }), /dup/],
  ];
  for (const [label, mutate, error] of cases) {
    const doc = structuredClone(base);
    mutate(doc);
    assert.match(schemaErrors(doc, SERVING_RUNTIME).join("\n"), error, label);
  }
});

Deno.test("KServe Serverless manifest: one port (Knative), the gRPC variant is for Standard mode only", async () => {
  const serverless = await manifest(MANIFESTS.serverless);
  assert.deepEqual(knativeErrors(serverless.spec.containers), []);
  const [port] = serverless.spec.containers[0].ports;
  assert.deepEqual(port, { containerPort: 8080, name: "http1", protocol: "TCP" });
  const grpc = await manifest(MANIFESTS.grpc);
  assert.deepEqual(knativeErrors(grpc.spec.containers), ["more than one container port is set"]);
  const [http, h2c] = grpc.spec.containers[0].ports;
  assert.equal(http.containerPort, 8080, "Standard mode's Service port 80 goes to the first port");
  assert.ok(h2c.name.includes("h2c"), "KServe exposes gRPC through a port named h2c or grpc");
  const settings = await loadServerSettings({ env: envOf(grpc.spec.containers[0]) });
  assert.equal(settings.grpc_port, h2c.containerPort);
  assert.equal(settings.http_port, http.containerPort);
  assert.deepEqual(grpc.spec.protocolVersions, ["v2", "grpc-v2"]);
  assert.deepEqual(serverless.spec.protocolVersions, ["v2"], "no gRPC port in Serverless mode");
});

Deno.test("knativeErrors refuses what Knative refuses", () => {
  const ok = { name: "kserve-container", image: "x", ports: [{ containerPort: 8080 }] };
  const cases: [string, Any, RegExp][] = [
    ["two ports", { ...ok, ports: [{ containerPort: 8080 }, { containerPort: 8081 }] }, /one/],
    ["port name", { ...ok, ports: [{ containerPort: 8080, name: "grpc" }] }, /not allowed/],
    ["reserved port", { ...ok, ports: [{ containerPort: 8012 }] }, /reserved port/],
    ["privileged", { ...ok, securityContext: { privileged: true } }, /privileged/],
    ["capabilities.add", { ...ok, securityContext: { capabilities: { add: ["X"] } } }, /add/],
    ["lifecycle", { ...ok, lifecycle: {} }, /must not set lifecycle/],
    ["PORT", { ...ok, env: [{ name: "PORT", value: "1" }] }, /reserved/],
  ];
  for (const [label, container, error] of cases) {
    assert.match(knativeErrors([container]).join("\n"), error, label);
  }
});

Deno.test("every runtime container meets the restricted Pod Security profile; the image's user is numeric", async () => {
  for (const file of Object.values(MANIFESTS)) {
    for (const c of (await manifest(file)).spec.containers) {
      assert.deepEqual(restrictedErrors(c), [], file);
      assert.equal(c.securityContext.privileged, false, "as KServe's kserve-mlserver sets it");
      assert.equal(c.securityContext.runAsUser, undefined, "OpenShift assigns its own UID");
    }
  }
  // runAsNonRoot makes the kubelet check the image's user, which it can only
  // do for a numeric one.
  const dockerfile = await Deno.readTextFile(repoPath("Dockerfile"));
  const user = [...dockerfile.matchAll(/^USER (\S+)$/gm)].at(-1)?.[1];
  assert.match(user ?? "", /^[1-9][0-9]*$/);
  assert.match(restrictedErrors({ securityContext: {} }).join(), /allowPrivilegeEscalation/);
});

Deno.test("KServe manifests: metrics annotations reach the pod and name the HTTP port", async () => {
  for (const file of [MANIFESTS.serverless, MANIFESTS.grpc]) {
    const doc = await manifest(file);
    assert.deepEqual(doc.spec.annotations, {
      "prometheus.kserve.io/port": "8080",
      "prometheus.kserve.io/path": "/metrics",
    });
    const onMetadata = Object.keys(doc.metadata.annotations ?? {});
    assert.ok(
      !onMetadata.some((k) => k.startsWith("prometheus.")),
      "metadata never reaches the pod",
    );
    const settings = await loadServerSettings({ env: envOf(doc.spec.containers[0]) });
    assert.equal(String(settings.http_port), doc.spec.annotations["prometheus.kserve.io/port"]);
  }
});

Deno.test("KServe manifests: the predictor container, its environment and its probe", async () => {
  for (const file of [MANIFESTS.serverless, MANIFESTS.grpc]) {
    const { spec } = await manifest(file);
    assert.notEqual(spec.multiModel, true);
    assert.equal(spec.containers.length, 1);
    const [container] = spec.containers;
    assert.equal(container.name, "kserve-container", "KServe merges the predictor by this name");
    const env = mergedEnv(container, META);
    assert.equal(env.MLSERVER_MODEL_NAME, META.name, "the InferenceService's name");
    assert.equal(env.MLSERVER_MODEL_URI, "/mnt/models", "where the storage initializer writes");
    assert.equal(env.MLSERVER_MODELS_DIR, "/mnt/models");
    assert.equal(env.MLSERVER_MODEL_IMPLEMENTATION, undefined, "the user names it");
    const settings = await loadServerSettings({ env });
    assert.equal(settings.http_port, container.ports[0].containerPort);
    assert.equal(container.readinessProbe.httpGet.path, "/v2/health/ready");
    assert.equal(container.readinessProbe.httpGet.port, settings.http_port);
  }
  assert.throws(
    () => mergedEnv({ env: [{ name: "X", value: "{{.Labels.a}}" }] }, META),
    /no value/,
  );
});

Deno.test("the gRPC variant differs from the Serverless manifest only in name, protocols, ports and autoSelect", async () => {
  const strip = (doc: Any) => {
    const copy = structuredClone(doc);
    delete copy.metadata.name;
    delete copy.spec.protocolVersions;
    delete copy.spec.containers[0].ports;
    for (const f of copy.spec.supportedModelFormats) delete f.autoSelect;
    return copy;
  };
  const serverless = await manifest(MANIFESTS.serverless);
  const grpc = await manifest(MANIFESTS.grpc);
  assert.deepEqual(strip(grpc), strip(serverless));
  assert.ok(serverless.spec.supportedModelFormats.every((f: Any) => f.autoSelect === true));
  assert.ok(grpc.spec.supportedModelFormats.every((f: Any) => f.autoSelect === false));
});

Deno.test("every listed format maps to a built-in implementation", async () => {
  for (const file of Object.values(MANIFESTS)) {
    for (const { name } of (await manifest(file)).spec.supportedModelFormats) {
      assert.ok(name in FORMAT_IMPLEMENTATIONS, `${file}: ${name} is a format we serve`);
      const implementation = FORMAT_IMPLEMENTATIONS[name];
      if (implementation !== undefined) {
        assert.ok(implementation in BUILTIN_RUNTIMES, implementation);
      }
    }
  }
  const kserve = (await manifest(MANIFESTS.serverless)).spec.supportedModelFormats;
  assert.deepEqual(
    [...new Set(kserve.map((f: Any) => f.name))].sort(),
    Object.keys(FORMAT_IMPLEMENTATIONS).sort(),
    "the KServe runtime lists every format",
  );
});

const FACTS = [
  ["v0.15.0", KSERVE_RUNTIMES_V0_15],
  ["v0.20.0", KSERVE_RUNTIMES_V0_20],
  ["v0.20.0 with kserve-openvino", [...KSERVE_RUNTIMES_V0_20, KSERVE_OPENVINO_V0_20]],
] as const;

for (const [version, shipped] of FACTS) {
  Deno.test(`KServe ${version}: the webhook admits both KServe manifests next to KServe's runtimes`, async () => {
    const serverless = asRuntime(await manifest(MANIFESTS.serverless), 1);
    const grpc = asRuntime(await manifest(MANIFESTS.grpc), 2);
    assert.equal(webhookDenial(serverless, [...shipped]), undefined);
    assert.equal(webhookDenial(grpc, [...shipped, serverless]), undefined);
    assert.equal(webhookDenial(serverless, [...shipped, grpc]), undefined, "re-applied after it");
  });

  Deno.test(`KServe ${version}: auto-selection keeps KServe's runtime where one serves the format, picks ours elsewhere, never by a tie`, async () => {
    const ours = asRuntime(await manifest(MANIFESTS.serverless), 1);
    const all = [...shipped, ours, asRuntime(await manifest(MANIFESTS.grpc), 2)];
    const asked: Predictor[] = ours.spec.supportedModelFormats!.flatMap(({ name, version }) => [
      { modelFormat: { name, version: version! }, protocolVersion: "v2" },
      { modelFormat: { name }, protocolVersion: "v2" },
    ]);
    for (const p of asked) {
      const ranked = supportingRuntimes(p, all);
      const kserve = supportingRuntimes(p, [...shipped]);
      const label = JSON.stringify(p);
      assert.equal(ranked[0]?.name, kserve[0]?.name ?? ours.name, label);
      assert.ok(!tiedWithFirst(p, ranked).some((r) => r.name === ours.name), `${label}: tie`);
      assert.ok(!ranked.some((r) => r.name.endsWith("-grpc")), "the gRPC variant is never auto");
      const v1 = supportingRuntimes({ modelFormat: p.modelFormat }, all);
      assert.ok(!v1.some((r) => r.name === ours.name), "without protocolVersion: v2, never ours");
    }
  });
}
