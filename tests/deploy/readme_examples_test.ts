/**
 * The README's deployment examples, held to the same rules as the manifests.
 * Each InferenceService must get the runtime it is there to show, with an
 * implementation and a model file the server will find. Each
 * `kubectl apply -f` must name a file in deploy/.
 */
import assert from "node:assert/strict";
import { basename } from "node:path";
import { parse } from "yaml";
import { repoPath } from "../_helpers.ts";
import { namedRuntimeError, supportingRuntimes } from "./_kserve_rules.ts";
import { KSERVE_RUNTIMES_V0_20 } from "./_kserve_runtimes.ts";
import {
  asRuntime,
  FORMAT_IMPLEMENTATIONS,
  manifest,
  MANIFESTS,
  WELLKNOWN_FILES,
} from "./_manifests.ts";
import { knativeErrors, modelMeshTypeLabels } from "./_platform_rules.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

async function deploymentSection(): Promise<string> {
  const readme = await Deno.readTextFile(repoPath("README.md"));
  const start = readme.indexOf("## Deploying on Kubernetes");
  assert.ok(start >= 0);
  return readme.slice(start, readme.indexOf("\n## ", start + 1));
}

function blocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) =>
    m[1]!
  );
}

Deno.test("README deployment examples: each InferenceService gets our runtime, an implementation and a file it finds", async () => {
  const section = await deploymentSection();
  const serverless = await manifest(MANIFESTS.serverless);
  const grpc = await manifest(MANIFESTS.grpc);
  const modelmesh = await manifest(MANIFESTS.modelmesh);
  const ours = [asRuntime(serverless, 1), asRuntime(grpc, 2)];
  const services = blocks(section, "yaml").map((y) => parse(y, { version: "1.1" }))
    .filter((doc: Any) => doc.kind === "InferenceService");
  assert.ok(services.length >= 4, "KServe named, auto-selected, gRPC; ModelMesh");
  for (const isvc of services) {
    const label = `${isvc.metadata.name} (${JSON.stringify(isvc.metadata.annotations ?? {})})`;
    const model = isvc.spec.predictor.model;
    const mode = isvc.metadata.annotations?.["serving.kserve.io/deploymentMode"] ?? "Serverless";
    if (mode === "ModelMesh") {
      assert.equal(model.runtime ?? modelmesh.metadata.name, modelmesh.metadata.name, label);
      assert.ok(modelMeshTypeLabels(modelmesh.spec, "x").has(`mt:${model.modelFormat.name}`));
      continue;
    }
    const p = { modelFormat: model.modelFormat, ...model };
    let runtime = ours.find((r) => r.name === model.runtime);
    if (model.runtime === undefined) {
      runtime = supportingRuntimes(p, [...KSERVE_RUNTIMES_V0_20, ...ours])[0];
    }
    assert.ok(runtime !== undefined && ours.includes(runtime), `${label}: one of ours`);
    assert.equal(namedRuntimeError({ ...p, runtime: runtime.name }, runtime), undefined, label);
    const containers = (runtime.name === serverless.metadata.name ? serverless : grpc).spec
      .containers;
    if (mode === "Serverless" || mode === "Knative") {
      assert.deepEqual(knativeErrors(containers), [], `${label}: Knative accepts its runtime`);
    } else {
      assert.ok(["RawDeployment", "Standard"].includes(mode), label);
    }
    const env = Object.fromEntries((model.env ?? []).map((e: Any) => [e.name, e.value]));
    const format = model.modelFormat.name;
    if (format !== "custom") {
      assert.equal(env.MLSERVER_MODEL_IMPLEMENTATION, FORMAT_IMPLEMENTATIONS[format], label);
      const file = basename(model.storageUri);
      if (env.MLSERVER_MODEL_URI !== undefined) {
        assert.equal(env.MLSERVER_MODEL_URI, `/mnt/models/${file}`, `${label}: where it lands`);
      } else {
        assert.ok(WELLKNOWN_FILES[format]!.includes(file), `${label}: ${file} is well-known`);
      }
    }
  }
});

Deno.test("README deployment commands apply files that exist", async () => {
  const section = await deploymentSection();
  const files = blocks(section, "sh").flatMap((b) =>
    [...b.matchAll(/kubectl apply (?:-n \S+ )?-f (\S+)/g)].map((m) => m[1]!)
  );
  assert.ok(files.length >= 2);
  for (const file of files) await Deno.stat(repoPath(file));
  for (const name of Object.values(MANIFESTS)) {
    assert.ok(section.includes(`deploy/${name}`), `the README names deploy/${name}`);
  }
});
