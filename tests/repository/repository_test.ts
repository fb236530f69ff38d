import assert from "node:assert/strict";
import { join } from "node:path";
import { silentLogger } from "../../src/logging.ts";
import { findSettingsFiles, ModelRepository } from "../../src/repository/repository.ts";
import { NO_MODEL_SOURCES, readModelSources } from "../../src/settings/load.ts";
import { withTmpDir, writeModel } from "../_helpers.ts";

Deno.test("findSettingsFiles() searches recursively, follows symlinks once, skips dot-folders", async () => {
  await using dir = await withTmpDir();
  const root = join(dir.path, "models");
  await writeModel(root, "a", {});
  await writeModel(root, "nested/deeper/b", {});
  await writeModel(root, ".hidden/c", {});
  await writeModel(dir.path, "outside/d", {});
  await Deno.writeTextFile(join(root, "model-settings.json"), "{}");
  await Deno.symlink(join(dir.path, "outside"), join(root, "linked"));
  await Deno.symlink(root, join(root, "nested", "loop")); // a loop back to the root
  await Deno.symlink(join(root, "a"), join(root, "a-again")); // the same folder twice
  const files = await findSettingsFiles(root);
  assert.deepEqual(files, [
    join(root, "a", "model-settings.json"),
    join(root, "linked", "d", "model-settings.json"),
    join(root, "model-settings.json"),
    join(root, "nested", "deeper", "b", "model-settings.json"),
  ]);
});

Deno.test("ModelRepository.list() reports invalid files with their reason, without stopping", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "good", { implementation: "a.B" });
  await writeModel(dir.path, "named-bad", { name: "custom-name", max_batch_size: "many" });
  await Deno.mkdir(join(dir.path, "garbage"));
  await Deno.writeTextFile(join(dir.path, "garbage", "model-settings.json"), "{ not json");
  const repository = new ModelRepository({
    root: dir.path,
    defaults: NO_MODEL_SOURCES.defaults,
    logger: silentLogger,
  });
  const entries = await repository.list();
  assert.equal(entries.length, 3);
  const byName = new Map(entries.map((e) => [e.ok ? e.settings.name : e.name, e]));
  assert.equal(byName.get("good")?.ok, true);
  const garbage = byName.get("garbage");
  assert.ok(garbage !== undefined && !garbage.ok);
  assert.match(garbage.reason, /^Cannot parse .*garbage\/model-settings\.json/);
  const named = byName.get("custom-name");
  assert.ok(named !== undefined && !named.ok);
  assert.match(named.reason, /max_batch_size .*expected number/);
  await assert.rejects(
    repository.find("custom-name"),
    { name: "InvalidSettingsError", status: 422 } as object,
  );
  await assert.rejects(repository.find("nothing"), {
    name: "ModelNotFoundError",
    message: "Model nothing not found",
  });
});

Deno.test("ModelRepository.list() falls back to the environment-only model", async () => {
  await using dir = await withTmpDir();
  const env = {
    MLSERVER_MODEL_NAME: "x",
    MLSERVER_MODEL_IMPLEMENTATION: "custom_model.CustomMLModel",
    MLSERVER_MODEL_URI: "/mnt/models",
  };
  const repository = new ModelRepository({
    root: dir.path,
    defaults: readModelSources(env).defaults,
    logger: silentLogger,
  });
  const [entry, ...rest] = await repository.list();
  assert.equal(rest.length, 0);
  assert.ok(entry?.ok);
  assert.equal(entry.settings.name, "x");
  // Once a settings file exists, the environment-only model disappears.
  await writeModel(dir.path, "y", {});
  const names = (await repository.list()).map((e) => e.ok ? e.settings.name : e.name);
  assert.deepEqual(names, ["x"], "MLSERVER_MODEL_NAME names files without a name, as in MLServer");
});

Deno.test("ModelRepository.list() is empty for an empty folder (ModelMesh's startup)", async () => {
  await using dir = await withTmpDir();
  const env = {
    MLSERVER_MODEL_NAME: "dummy-model-fixme",
    MLSERVER_LOAD_MODELS_AT_STARTUP: "false",
  };
  const repository = new ModelRepository({
    root: dir.path,
    defaults: readModelSources(env).defaults,
    logger: silentLogger,
  });
  assert.deepEqual(await repository.list(), []);
});

Deno.test("ModelRepository.find() returns every version of a name", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "m/1", {
    name: "m",
    implementation: "a.B",
    parameters: { version: "1" },
  });
  await writeModel(dir.path, "m/2", {
    name: "m",
    implementation: "a.B",
    parameters: { version: "2" },
  });
  await writeModel(dir.path, "other", { implementation: "a.B" });
  const repository = new ModelRepository({
    root: dir.path,
    defaults: NO_MODEL_SOURCES.defaults,
    logger: silentLogger,
  });
  const versions = (await repository.find("m")).map((s) => s.parameters.version);
  assert.deepEqual(versions, ["1", "2"]);
});
