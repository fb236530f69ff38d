import assert from "node:assert/strict";
import { ModelNotFoundError, ModelNotReadyError } from "../../src/errors.ts";
import { silentLogger } from "../../src/logging.ts";
import type { InferenceResponse } from "../../src/protocol/types.ts";
import { compareVersions, ModelRegistry } from "../../src/registry/model_registry.ts";
import { MLModel } from "../../src/runtime/model.ts";
import { type ModelSettings, ModelSettingsSchema } from "../../src/settings/model_settings.ts";

/** A model whose load() and unload() the test resolves by hand. */
class ControlledModel extends MLModel {
  static instances: ControlledModel[] = [];
  readonly loading = Promise.withResolvers<boolean>();
  unloaded = false;

  constructor(settings: ModelSettings) {
    super(settings);
    ControlledModel.instances.push(this);
  }
  override load(): Promise<boolean> {
    return this.loading.promise;
  }
  override unload(): Promise<boolean> {
    this.unloaded = true;
    return Promise.resolve(true);
  }
  predict(): Promise<InferenceResponse> {
    return Promise.resolve({ model_name: this.name, outputs: [] });
  }
}

function settings(name: string, version?: string, tag = ""): ModelSettings {
  return ModelSettingsSchema.parse({
    name,
    implementation: "controlled",
    parameters: { ...(version === undefined ? {} : { version }), extra: { tag } },
  });
}

function registry(): ModelRegistry {
  ControlledModel.instances = [];
  return new ModelRegistry({
    create: (s) => Promise.resolve(new ControlledModel(s)),
    logger: silentLogger,
    drainTimeoutMs: 1000,
  });
}

/** Lets queued promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

Deno.test("ModelRegistry goes LOADING -> READY and answers not-ready meanwhile", async () => {
  const r = registry();
  const loading = r.sync("m", [settings("m")]);
  await settle();
  assert.equal(r.status("m", "")?.state, "LOADING");
  assert.throws(() => r.acquire("m"), ModelNotReadyError);
  assert.equal(r.isReady("m"), false);
  ControlledModel.instances[0]!.loading.resolve(true);
  await loading;
  assert.equal(r.status("m", "")?.state, "READY");
  assert.equal(r.get("m").ready, true);
  assert.throws(() => r.acquire("other"), ModelNotFoundError);
});

Deno.test("ModelRegistry records a failed load and keeps no instance", async (t) => {
  await t.step("load() returns false", async () => {
    const r = registry();
    const loading = r.sync("m", [settings("m")]);
    await settle();
    ControlledModel.instances[0]!.loading.resolve(false);
    await assert.rejects(loading, { message: "Model m failed to load: load() returned false" });
    assert.deepEqual(r.status("m", ""), {
      name: "m",
      version: "",
      state: "FAILED",
      reason: "Model m failed to load: load() returned false",
    });
    assert.throws(() => r.acquire("m"), ModelNotReadyError);
    assert.equal(
      ControlledModel.instances[0]!.unloaded,
      true,
      "the half-loaded instance is released",
    );
  });
  await t.step("load() throws", async () => {
    const r = registry();
    const loading = r.sync("m", [settings("m")]);
    await settle();
    ControlledModel.instances[0]!.loading.reject(new TypeError("bad weights"));
    await assert.rejects(loading, TypeError);
    assert.equal(r.status("m", "")?.reason, "Model m failed to load: TypeError: bad weights");
    // A later successful load replaces the failure.
    const retry = r.sync("m", [settings("m")]);
    await settle();
    ControlledModel.instances[1]!.loading.resolve(true);
    await retry;
    assert.equal(r.status("m", "")?.state, "READY");
  });
});

Deno.test("ModelRegistry reload swaps in the new instance only once it is ready", async () => {
  const r = registry();
  const first = r.sync("m", [settings("m", undefined, "old")]);
  await settle();
  ControlledModel.instances[0]!.loading.resolve(true);
  await first;
  const old = r.acquire("m"); // a request in flight on the old instance
  const reload = r.sync("m", [settings("m", undefined, "new")]);
  await settle();
  assert.equal(
    r.get("m").settings.parameters.extra.tag,
    "old",
    "old instance serves while the new one loads",
  );
  assert.equal(r.status("m", "")?.state, "READY");
  ControlledModel.instances[1]!.loading.resolve(true);
  await settle();
  assert.equal(r.get("m").settings.parameters.extra.tag, "new", "new instance serves once ready");
  assert.equal(old.model.ready, true, "old instance is not released while a request runs");
  old.release();
  await reload;
  assert.equal(ControlledModel.instances[0]!.unloaded, true);
});

Deno.test("ModelRegistry keeps the old instance when a reload fails", async () => {
  const r = registry();
  const first = r.sync("m", [settings("m", undefined, "old")]);
  await settle();
  ControlledModel.instances[0]!.loading.resolve(true);
  await first;
  const reload = r.sync("m", [settings("m", undefined, "new")]);
  await settle();
  ControlledModel.instances[1]!.loading.reject(new Error("broken"));
  await assert.rejects(reload);
  assert.equal(r.get("m").settings.parameters.extra.tag, "old");
  assert.match(r.status("m", "")?.reason ?? "", /^Reload failed: /);
});

Deno.test("ModelRegistry.unload() waits for in-flight requests, then forgets the model", async () => {
  const r = registry();
  const load = r.sync("m", [settings("m")]);
  await settle();
  ControlledModel.instances[0]!.loading.resolve(true);
  await load;
  const handle = r.acquire("m");
  const unloading = r.unload("m");
  await settle();
  assert.equal(r.status("m", "")?.state, "UNLOADING");
  assert.throws(() => r.acquire("m"), ModelNotReadyError);
  assert.equal(ControlledModel.instances[0]!.unloaded, false);
  handle.release();
  await unloading;
  assert.equal(ControlledModel.instances[0]!.unloaded, true);
  assert.throws(() => r.acquire("m"), ModelNotFoundError);
  await assert.rejects(r.unload("m"), ModelNotFoundError);
});

Deno.test("ModelRegistry serialises operations per name: an unload after a pending load wins", async () => {
  const r = registry();
  const load = r.sync("m", [settings("m")]);
  const unload = r.unload("m"); // ModelMesh cancels a slow load and unloads
  const other = r.sync("n", [settings("n")]); // another name is not blocked
  await settle();
  assert.equal(ControlledModel.instances.length, 2, "m and n load concurrently");
  ControlledModel.instances[1]!.loading.resolve(true);
  await other;
  ControlledModel.instances[0]!.loading.resolve(true);
  await load;
  await unload;
  assert.equal(r.status("m", ""), undefined, "nothing of m is left loaded");
  assert.equal(ControlledModel.instances[0]!.unloaded, true);
});

Deno.test("ModelRegistry picks the default version as MLServer does", async (t) => {
  const loadAll = async (r: ModelRegistry, versions: (string | undefined)[]) => {
    const done = r.sync("m", versions.map((v) => settings("m", v)));
    await settle();
    for (const model of ControlledModel.instances) model.loading.resolve(true);
    await done;
  };
  await t.step("highest numeric version", async () => {
    const r = registry();
    await loadAll(r, ["2", "10", "9"]);
    assert.equal(r.get("m").version, "10");
    assert.equal(r.get("m", "9").version, "9");
    assert.throws(() => r.get("m", "3"), { message: "Model m with version 3 not found" });
  });
  await t.step("unversioned wins", async () => {
    const r = registry();
    await loadAll(r, ["5", undefined]);
    assert.equal(r.get("m").version, undefined);
  });
  await t.step("sync drops versions no longer listed", async () => {
    const r = registry();
    await loadAll(r, ["1", "2"]);
    const done = r.sync("m", [settings("m", "2")]);
    await settle();
    for (const model of ControlledModel.instances) model.loading.resolve(true);
    await done;
    assert.deepEqual(r.statuses().map((s) => s.version), ["2"]);
  });
  await t.step("unloading the default version makes the next highest the default", async () => {
    const r = registry();
    await loadAll(r, ["1", "3", "2"]);
    assert.equal(r.get("m").version, "3");
    const done = r.sync("m", [settings("m", "1"), settings("m", "2")]);
    await settle();
    for (const model of ControlledModel.instances) model.loading.resolve(true);
    await done;
    assert.deepEqual(r.statuses().map((s) => s.version).sort(), ["1", "2"]);
    assert.equal(r.get("m").version, "2");
  });
  await t.step("compareVersions()", () => {
    assert.equal(compareVersions("10", "9"), 1);
    assert.equal(compareVersions("v10", "v9"), -1, "string compare when not both integers");
    assert.equal(compareVersions("99999999999999999999", "99999999999999999998"), 1);
  });
});
