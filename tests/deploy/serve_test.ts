/**
 * The server run with each manifest's environment, as the pod gets it. For
 * KServe: rendered for an InferenceService, with the predictor's env merged
 * in. The model is a single-file storageUri, which keeps its name under
 * /mnt/models, so the URI names the file, or the file has a well-known name.
 * For ModelMesh: the adapter's generated model-settings.json for each listed
 * format, so xgboost, lightgbm and sklearn get the adapter's implementation
 * and onnx gets the manifest's fallback.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { silentLogger } from "../../src/logging.ts";
import { ModelServer } from "../../src/server.ts";
import { loadServerSettings, readModelSources } from "../../src/settings/load.ts";
import { call, inferenceClient } from "../_grpc.ts";
import { fixture, startServer, withTmpDir } from "../_helpers.ts";
import {
  envOf,
  FORMAT_IMPLEMENTATIONS,
  manifest,
  MANIFESTS,
  mergedEnv,
  WELLKNOWN_FILES,
} from "./_manifests.ts";
import { ADAPTER_IMPLEMENTATIONS } from "./_platform_rules.ts";

const MODELS = {
  xgboost: fixture("xgboost", "iris_softprob.json"),
  lightgbm: fixture("lightgbm", "iris-lightgbm.bst"),
  sklearn: fixture("sklearn", "forest_iris.joblib"),
  onnx: fixture("onnx", "graphs", "linear_small.onnx"),
} as const;

const META = { name: "mushroom", namespace: "models" };

/** The pod's paths moved under a temporary folder. */
function relocate(env: Record<string, string>, mnt: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v.replace(/^\/mnt\/models/, mnt)]),
  );
}

Deno.test("KServe manifest's environment serves a single-file storageUri of each format", async (t) => {
  const { spec } = await manifest(MANIFESTS.serverless);
  // format, the file's name in the bucket, whether MLSERVER_MODEL_URI names it
  const cases: [keyof typeof MODELS, string, boolean][] = [];
  for (const format of Object.keys(MODELS) as (keyof typeof MODELS)[]) {
    cases.push([format, "mushroom.model", true]);
    // An ONNX export is the sklearn runtime's other format, not a pickle.
    const names = WELLKNOWN_FILES[format]!.filter((f) =>
      format !== "sklearn" || f !== "model.onnx"
    );
    for (const name of names) cases.push([format, name, false]);
  }
  for (const [format, file, namesFile] of cases) {
    const label = `${format}: ${file}${namesFile ? " named by MLSERVER_MODEL_URI" : ""}`;
    await t.step(label, async () => {
      await using dir = await withTmpDir();
      const mnt = join(dir.path, "mnt", "models");
      await Deno.mkdir(mnt, { recursive: true });
      await Deno.copyFile(MODELS[format], join(mnt, file));
      const predictorEnv: Record<string, string> = {
        MLSERVER_MODEL_IMPLEMENTATION: FORMAT_IMPLEMENTATIONS[format]!,
        ...(namesFile ? { MLSERVER_MODEL_URI: `/mnt/models/${file}` } : {}),
      };
      const env = relocate(mergedEnv(spec.containers[0], META, predictorEnv), mnt);
      await using srv = await startServer(env.MLSERVER_MODELS_DIR!, { env });
      const model = await fetch(`${srv.url}/v2/models/${META.name}/ready`);
      await model.body?.cancel();
      assert.equal(model.status, 200, `${label}: the model is ready under the isvc's name`);
      const health = await fetch(`${srv.url}/v2/health/ready`);
      await health.body?.cancel();
      assert.equal(health.status, 200, "the readiness probe passes");
    });
  }

  await t.step("a file without a well-known name and the default URI is not served", async () => {
    await using dir = await withTmpDir();
    const mnt = join(dir.path, "mnt", "models");
    await Deno.mkdir(mnt, { recursive: true });
    await Deno.copyFile(MODELS.xgboost, join(mnt, "mushroom.json"));
    const env = relocate(
      mergedEnv(spec.containers[0], META, {
        MLSERVER_MODEL_IMPLEMENTATION: FORMAT_IMPLEMENTATIONS.xgboost!,
      }),
      mnt,
    );
    await using srv = await startServer(mnt, { env });
    const health = await fetch(`${srv.url}/v2/health/ready`);
    await health.body?.cancel();
    assert.notEqual(health.status, 200, "the pod never turns ready: the README's warning holds");
  });
});

Deno.test("ModelMesh manifest's environment loads the adapter's generated settings for every listed format", async () => {
  const { spec } = await manifest(MANIFESTS.modelmesh);
  await using dir = await withTmpDir();
  const modelsDir = join(dir.path, "models", "_mlserver_models");
  const puller = join(dir.path, "models");
  await Deno.mkdir(modelsDir, { recursive: true });
  const env = {
    ...envOf(spec.containers[0]),
    MLSERVER_MODELS_DIR: `${modelsDir}/`,
    MLSERVER_GRPC_PORT: "0",
    MLSERVER_HTTP_PORT: "0",
    MLSERVER_METRICS_PORT: "0",
  };
  const folder = env.MLSERVER_MODELS_DIR;
  const settings = await loadServerSettings({
    folder,
    env,
    flags: { model_repository_root: folder },
  });
  await using server = new ModelServer({
    settings,
    models: readModelSources(env),
    logger: silentLogger,
  });
  await server.start();
  const client = inferenceClient(server.grpcPort);
  try {
    const index = await call(client, "RepositoryIndex", { repository_name: "", ready: true });
    assert.deepEqual(
      index.response.models ?? [],
      [],
      "the adapter's startup handshake unloads none",
    );
    const types = [...new Set(spec.supportedModelFormats.map((f: { name: string }) => f.name))];
    for (const type of types as (keyof typeof MODELS)[]) {
      const modelId = `${type}-model__isvc-0123456789`;
      // The puller's copy, then layout 1: a symlink plus generated settings.
      const pulled = join(puller, modelId, basename(MODELS[type]));
      await Deno.mkdir(join(puller, modelId), { recursive: true });
      await Deno.copyFile(MODELS[type], pulled);
      const target = join(modelsDir, modelId);
      await Deno.mkdir(target, { recursive: true });
      const link = join(target, basename(pulled));
      await Deno.symlink(pulled, link);
      const implementation = ADAPTER_IMPLEMENTATIONS[type];
      await Deno.writeTextFile(
        join(target, "model-settings.json"),
        JSON.stringify({
          name: modelId,
          ...(implementation && { implementation }),
          parameters: { uri: link },
        }),
      );
      const load = await call(client, "RepositoryModelLoad", { model_name: modelId });
      assert.equal(load.error, undefined, `${type}: ${load.error?.message}`);
      const ready = await call(client, "ModelReady", { name: modelId });
      assert.deepEqual(ready.response, { ready: true }, type);
    }
  } finally {
    client.close();
  }
});
