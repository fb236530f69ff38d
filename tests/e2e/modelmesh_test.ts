/**
 * Plays ModelMesh's MLServer adapter against the real gRPC server, as
 * reference/modelmesh.md sections 1 to 3 describe it: the environment
 * ModelMesh sets, the readiness handshake, the three folder layouts the
 * adapter writes under `_mlserver_models/<modelId>/` (symlinks, generated and
 * rewritten model-settings.json), loads by model id, inference with
 * `model_name` spliced in as the last field plus `mm-model-id` metadata,
 * unloads, a load cancelled mid-flight, and the older repository service.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { basename, join } from "node:path";
import { silentLogger } from "../../src/logging.ts";
import { ModelServer } from "../../src/server.ts";
import { loadServerSettings, readModelSources } from "../../src/settings/load.ts";
import {
  call,
  grpc,
  inferenceClient,
  legacyRepositoryClient,
  packageDefinition,
} from "../_grpc.ts";
import { fixture, repoPath, RUNTIMES, withTmpDir } from "../_helpers.ts";

const Status = grpc.status;

/** The container environment of ModelMesh's mlserver-1.x runtime, plus a custom implementation. */
function modelMeshEnv(modelsDir: string): Record<string, string> {
  return {
    MLSERVER_MODELS_DIR: `${modelsDir}/`,
    MLSERVER_GRPC_PORT: "0",
    MLSERVER_HTTP_PORT: "0",
    MLSERVER_METRICS_PORT: "0",
    MLSERVER_LOAD_MODELS_AT_STARTUP: "false",
    MLSERVER_MODEL_NAME: "dummy-model-fixme",
    MLSERVER_HOST: "127.0.0.1",
    MLSERVER_GRPC_MAX_MESSAGE_LENGTH: "-1",
    // What docs/runtimes/mlserver_custom.md has users add for custom runtimes:
    MLSERVER_MODEL_IMPLEMENTATION: "custom_model.CustomMLModel",
    MLSERVER_MODULE_PATH: repoPath("examples/models/iris"),
  };
}

/** `_mlserver_models/<modelId>`, emptied and recreated as the adapter does. */
async function targetDir(modelsDir: string, modelId: string): Promise<string> {
  const target = join(modelsDir, modelId);
  await Deno.remove(target, { recursive: true }).catch(() => {});
  await Deno.mkdir(target, { recursive: true, mode: 0o755 });
  return target;
}

/**
 * Layout 1: modelPath is a file. Symlink it, generate settings: no
 * implementation for type "custom", MLServer's runtime name for a known type.
 */
async function adaptFile(
  modelsDir: string,
  modelId: string,
  modelPath: string,
  implementation?: string,
): Promise<void> {
  const target = await targetDir(modelsDir, modelId);
  const link = join(target, basename(modelPath));
  await Deno.symlink(modelPath, link);
  await Deno.writeTextFile(
    join(target, "model-settings.json"),
    JSON.stringify({
      name: modelId,
      ...(implementation && { implementation }),
      parameters: { uri: link },
    }),
  );
}

/** Layout 2: a folder with model-settings.json. Rewrite it (name forced, uri re-rooted), symlink the rest. */
async function adaptNative(modelsDir: string, modelId: string, modelPath: string): Promise<void> {
  const target = await targetDir(modelsDir, modelId);
  const settings = JSON.parse(await Deno.readTextFile(join(modelPath, "model-settings.json")));
  settings.name = modelId;
  if (settings.parameters?.uri !== undefined) {
    settings.parameters.uri = join(target, settings.parameters.uri.replace(/^\/+/, ""));
  }
  await Deno.writeTextFile(join(target, "model-settings.json"), JSON.stringify(settings, null, 2));
  for await (const entry of Deno.readDir(modelPath)) {
    if (entry.name !== "model-settings.json") {
      await Deno.symlink(join(modelPath, entry.name), join(target, entry.name));
    }
  }
}

/** Layout 3: a folder without settings. Symlink the folder, generate settings pointing at it. */
async function adaptDir(modelsDir: string, modelId: string, modelPath: string): Promise<void> {
  const target = await targetDir(modelsDir, modelId);
  const link = join(target, basename(modelPath));
  await Deno.symlink(modelPath, link);
  await Deno.writeTextFile(
    join(target, "model-settings.json"),
    JSON.stringify({ name: modelId, parameters: { uri: link } }),
  );
}

/**
 * A ModelInferRequest as ModelMesh forwards it: encoded without model_name,
 * then field 1 appended at the end with the model id.
 */
function splicedInfer(modelId: string, vmodelName: string): Buffer {
  // deno-lint-ignore no-explicit-any
  const service = packageDefinition()["inference.GRPCInferenceService"] as any;
  const body: Buffer = service.ModelInfer.requestSerialize({
    model_name: vmodelName,
    inputs: [{
      name: "input-0",
      datatype: "FP32",
      shape: ["1", "4"],
      contents: { fp32_contents: [6.7, 3.0, 5.2, 2.3] },
    }],
  });
  const id = Buffer.from(modelId);
  return Buffer.concat([body, Buffer.from([0x0a, id.length]), id]);
}

function inferRaw(
  port: number,
  bytes: Buffer,
  modelId: string,
): Promise<{ response?: Buffer; error?: grpc.ServiceError }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("mm-model-id", modelId);
  metadata.set("mm-model-id-bin", Buffer.from(modelId));
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      "/inference.GRPCInferenceService/ModelInfer",
      (v: Buffer) => v,
      (v: Buffer) => v,
      bytes,
      metadata,
      (error, response) => {
        client.close();
        resolve(error ? { error } : { response: response! });
      },
    );
  });
}

Deno.test("ModelMesh's MLServer adapter drives the server end to end", async (t) => {
  await using dir = await withTmpDir();
  const modelsDir = join(dir.path, "models", "_mlserver_models");
  await Deno.mkdir(modelsDir, { recursive: true });
  const env = modelMeshEnv(modelsDir);
  // As `start` does: MLSERVER_MODELS_DIR names the folder, settings come from the environment.
  const folder = `${modelsDir}/`;
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
  const port = server.grpcPort;
  const client = inferenceClient(port);
  // deno-lint-ignore no-explicit-any
  const infer = (modelId: string): Promise<any> =>
    inferRaw(port, splicedInfer(modelId, "iris-vmodel"), modelId).then(({ response, error }) => {
      if (error) return { error };
      // deno-lint-ignore no-explicit-any
      const service = packageDefinition()["inference.GRPCInferenceService"] as any;
      return { response: service.ModelInfer.responseDeserialize(response) };
    });
  try {
    await t.step(
      "runtimeStatus handshake: ready, empty index, metadata with a version",
      async () => {
        assert.deepEqual(
          (await call(client, "ServerReady", {})).response,
          { ready: true },
          "ready at once with startup loading off",
        );
        const index = await call(client, "RepositoryIndex", { repository_name: "", ready: true });
        assert.equal(index.error, undefined);
        assert.deepEqual(
          index.response.models ?? [],
          [],
          "the env-only dummy model is not listed as READY",
        );
        const metadata = (await call(client, "ServerMetadata", {})).response;
        assert.ok(metadata.version.length > 0);
      },
    );

    const iris = repoPath("examples/models/iris");
    const puller = join(dir.path, "models");
    const layouts = [
      {
        name: "a model file",
        modelId: "iris-file__isvc-0123456789",
        prepare: async (id: string) => {
          await Deno.mkdir(join(puller, id), { recursive: true });
          await Deno.copyFile(join(iris, "model.json"), join(puller, id, "model.json"));
          await adaptFile(modelsDir, id, join(puller, id, "model.json"));
        },
      },
      {
        name: "a native folder with model-settings.json (relative uri)",
        modelId: "iris-native__isvc-abcdef0123",
        prepare: async (id: string) => {
          const src = join(puller, id, "native");
          await Deno.mkdir(src, { recursive: true });
          await Deno.copyFile(join(iris, "model.json"), join(src, "model.json"));
          await Deno.writeTextFile(
            join(src, "model-settings.json"),
            JSON.stringify({
              name: "whatever",
              implementation: "custom_model.CustomMLModel",
              parameters: { uri: "./model.json", version: "v3" },
            }),
          );
          await adaptNative(modelsDir, id, src);
        },
      },
      {
        name: "a folder without settings",
        modelId: "iris-dir__isvc-fedcba9876",
        prepare: async (id: string) => {
          const src = join(puller, id, "weights");
          await Deno.mkdir(src, { recursive: true });
          await Deno.copyFile(join(iris, "model.json"), join(src, "model.json"));
          await adaptDir(modelsDir, id, src);
        },
      },
    ];
    for (const layout of layouts) {
      await t.step(`load, infer, unload: ${layout.name}`, async () => {
        await layout.prepare(layout.modelId);
        assert.deepEqual(
          (await call(client, "RepositoryModelLoad", { model_name: layout.modelId })).response,
          {},
        );
        const { response, error } = await infer(layout.modelId);
        assert.equal(error, undefined, error?.details);
        assert.equal(response.model_name, layout.modelId, "the model name is echoed as received");
        assert.deepEqual(response.outputs[0].contents.int64_contents, ["2"]);
        const metadata = await call(client, "ModelMetadata", { name: layout.modelId });
        assert.equal(metadata.response.name, layout.modelId);
        assert.deepEqual(
          (await call(client, "RepositoryModelUnload", { model_name: layout.modelId })).response,
          {},
        );
        await Deno.remove(join(modelsDir, layout.modelId), { recursive: true });
        assert.equal((await infer(layout.modelId)).error?.code, Status.NOT_FOUND);
      });
    }

    await t.step(
      "model type xgboost: the adapter's mlserver_xgboost.XGBoostModel is built in",
      async () => {
        const modelId = "iris-xgb__isvc-3333333333";
        const file = join(puller, modelId, "iris-classifier.ubj");
        await Deno.mkdir(join(puller, modelId), { recursive: true });
        await Deno.copyFile(fixture("xgboost", "iris_softprob.ubj"), file);
        await adaptFile(modelsDir, modelId, file, "mlserver_xgboost.XGBoostModel");
        assert.deepEqual(
          (await call(client, "RepositoryModelLoad", { model_name: modelId })).response,
          {},
        );
        const { response, error } = await infer(modelId);
        assert.equal(error, undefined, error?.details);
        assert.equal(response.model_name, modelId);
        assert.deepEqual(response.outputs[0].contents.int64_contents, ["2"]);
        await call(client, "RepositoryModelUnload", { model_name: modelId });
      },
    );

    await t.step("a load cancelled mid-flight, then an unload, leaves nothing loaded", async () => {
      const modelId = "slow__isvc-1111111111";
      const target = await targetDir(modelsDir, modelId);
      await Deno.writeTextFile(
        join(target, "model-settings.json"),
        JSON.stringify({
          name: modelId,
          implementation: RUNTIMES.behaviours("SlowLoad"),
          parameters: { extra: { load_delay_ms: 300 } },
        }),
      );
      // ModelMesh cancels the load when its timeout expires, then unloads at once.
      const cancelled = new Promise<grpc.ServiceError | undefined>((resolve) => {
        const handle = client.RepositoryModelLoad(
          { model_name: modelId },
          (err: grpc.ServiceError | null) => resolve(err ?? undefined),
        );
        setTimeout(() => handle.cancel(), 50);
      });
      assert.equal((await cancelled)?.code, Status.CANCELLED);
      const unload = await call(client, "RepositoryModelUnload", { model_name: modelId });
      assert.equal(
        unload.error?.code,
        Status.NOT_FOUND,
        "the unload waited for the load; the cancelled load had undone itself (the adapter " +
          "takes NOT_FOUND as already gone)",
      );
      await Deno.remove(target, { recursive: true });
      assert.equal(
        (await call(client, "ModelReady", { name: modelId })).error?.code,
        Status.NOT_FOUND,
        "nothing loaded",
      );
      const index = (await call(client, "RepositoryIndex", {})).response.models ?? [];
      assert.equal(index.some((m: { name: string }) => m.name === modelId), false);
    });

    await t.step(
      "unknown model ids: load is NOT_FOUND with MLServer's message, unload is NOT_FOUND",
      async () => {
        const load = await call(client, "RepositoryModelLoad", {
          model_name: "gone__isvc-0000000000",
        });
        assert.equal(load.error?.code, Status.NOT_FOUND);
        assert.equal(load.error?.details, "Model gone__isvc-0000000000 not found");
        assert.equal(
          (await call(client, "RepositoryModelUnload", { model_name: "gone__isvc-0000000000" }))
            .error?.code,
          Status.NOT_FOUND,
        );
      },
    );

    await t.step(
      "older adapters use inference.model_repository.ModelRepositoryService",
      async () => {
        const modelId = "iris-legacy__isvc-2222222222";
        await Deno.mkdir(join(puller, modelId), { recursive: true });
        await Deno.copyFile(join(iris, "model.json"), join(puller, modelId, "model.json"));
        await adaptFile(modelsDir, modelId, join(puller, modelId, "model.json"));
        const legacy = legacyRepositoryClient(port);
        try {
          assert.deepEqual(
            (await call(legacy, "RepositoryModelLoad", { model_name: modelId })).response,
            {},
          );
          const models = (await call(legacy, "RepositoryIndex", { ready: true })).response.models;
          assert.deepEqual(models, [{ name: modelId, state: "READY" }]);
          assert.equal((await infer(modelId)).response.model_name, modelId);
          assert.deepEqual(
            (await call(legacy, "RepositoryModelUnload", { model_name: modelId })).response,
            {},
          );
        } finally {
          legacy.close();
        }
      },
    );
  } finally {
    client.close();
  }
});
