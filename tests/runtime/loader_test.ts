import assert from "node:assert/strict";
import { join } from "node:path";
import { RuntimeLoadError } from "../../src/errors.ts";
import { type LoaderOptions, loadImplementation } from "../../src/runtime/loader.ts";
import { MLModel } from "../../src/runtime/model.ts";
import { StructuralModel } from "../../src/runtime/structural.ts";
import type { ModelSettings } from "../../src/settings/model_settings.ts";
import { ModelSettingsSchema } from "../../src/settings/model_settings.ts";
import { fixture, withTmpDir } from "../_helpers.ts";

function settings(implementation: string, source?: string): ModelSettings {
  const parsed = ModelSettingsSchema.parse({ name: "m", implementation });
  return source === undefined ? parsed : { ...parsed, _source: source };
}

const MODULE = `import { MLModel } from "mlserver";
export class Found extends MLModel {
  predict() { return Promise.resolve({ model_name: "${"${where}"}", outputs: [] }); }
}
`;

async function writeModule(path: string, where: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, MODULE.replace("${where}", where));
}

async function whereFrom(options: LoaderOptions, spec: string, source?: string): Promise<string> {
  const ModelClass = await loadImplementation(settings(spec, source), options);
  const model = new ModelClass(settings(spec, source));
  assert.ok(model instanceof MLModel);
  return (await model.predict({ inputs: [] })).model_name;
}

Deno.test("loadImplementation() resolves every implementation form", async (t) => {
  await using dir = await withTmpDir();
  const root = dir.path;
  const options: LoaderOptions = {
    modelsRoot: join(root, "models"),
    modulePath: [join(root, "path1"), join(root, "path2")],
    cwd: join(root, "cwd"),
  };
  const source = join(root, "models", "m", "model-settings.json");
  await writeModule(join(root, "models", "m", "local.ts"), "settings folder");
  await writeModule(join(root, "models", "shared.mts"), "models folder");
  await writeModule(join(root, "path2", "onpath.js"), "module path");
  await writeModule(join(root, "cwd", "incwd.mjs"), "working folder");
  await writeModule(join(root, "path1", "pkg", "sub", "mod.ts"), "package mod.ts");
  await writeModule(join(root, "path1", "pkg2", "index.ts"), "package index.ts");
  await writeModule(join(root, "models", "m", "code", "file.ts"), "file form");
  // The settings folder wins over later places with the same module name.
  await writeModule(join(root, "models", "m", "shadow.ts"), "settings folder shadows");
  await writeModule(join(root, "path1", "shadow.ts"), "module path shadowed");

  const cases: { name: string; spec: string; expected: string }[] = [
    {
      name: "module.Class in the settings folder",
      spec: "local.Found",
      expected: "settings folder",
    },
    {
      name: "module.Class in the models folder (.mts)",
      spec: "shared.Found",
      expected: "models folder",
    },
    {
      name: "module.Class on MLSERVER_MODULE_PATH (.js)",
      spec: "onpath.Found",
      expected: "module path",
    },
    {
      name: "module.Class in the working folder (.mjs)",
      spec: "incwd.Found",
      expected: "working folder",
    },
    { name: "pkg.sub.Class as pkg/sub/mod.ts", spec: "pkg.sub.Found", expected: "package mod.ts" },
    { name: "pkg.Class as pkg/index.ts", spec: "pkg2.Found", expected: "package index.ts" },
    { name: "relative file.ts:Class", spec: "code/file.ts:Found", expected: "file form" },
    {
      name: "absolute file.ts:Class",
      spec: `${join(root, "models", "m", "code", "file.ts")}:Found`,
      expected: "file form",
    },
    { name: "search order", spec: "shadow.Found", expected: "settings folder shadows" },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      async () => assert.equal(await whereFrom(options, c.spec, source), c.expected),
    );
  }

  await t.step("built-in runtime names resolve when nothing on disk matches", async () => {
    const builtins = {
      "mlserver_xgboost.XGBoostModel": {
        load: () => import(new URL(`file://${join(root, "models", "shared.mts")}`).href),
        exportName: "Found",
      },
    };
    const spec = "mlserver_xgboost.XGBoostModel";
    assert.equal(await whereFrom({ ...options, builtins }, spec, source), "models folder");
  });

  await t.step("a module on disk with a built-in's name wins over the built-in", async () => {
    await writeModule(join(root, "path1", "mlserver_xgboost.ts"), "disk module");
    const builtins = {
      "mlserver_xgboost.XGBoostModel": {
        load: () => import(new URL(`file://${join(root, "models", "shared.mts")}`).href),
        exportName: "Found",
      },
    };
    const spec = "mlserver_xgboost.Found";
    const named = { ...builtins, [spec]: builtins["mlserver_xgboost.XGBoostModel"] };
    assert.equal(await whereFrom({ ...options, builtins: named }, spec, source), "disk module");
    await Deno.remove(join(root, "path1", "mlserver_xgboost.ts"));
  });
});

Deno.test("loadImplementation() accepts structural classes that only use import type", async (t) => {
  const options: LoaderOptions = { modelsRoot: "/nonexistent", modulePath: [], cwd: Deno.cwd() };
  for (
    const spec of [
      `${fixture("runtimes", "type_only.ts")}:TypeOnlyModel`,
      `${fixture("runtimes", "structural.js")}:Structural`,
    ]
  ) {
    await t.step(spec.split("/").at(-1)!, async () => {
      const ModelClass = await loadImplementation(settings(spec), options);
      const model = new ModelClass(settings(spec));
      assert.ok(model instanceof StructuralModel, "a plain Model around the class");
      assert.ok(!(model instanceof MLModel));
      assert.equal(await model.load(), true);
      model.ready = true;
      assert.equal(model.ready, true);
      const signal = new AbortController().signal;
      const response = await model.predict({ inputs: [] }, { signal });
      assert.equal(response.model_name, "m");
      assert.equal((await model.metadata()).name, "m");
      const stream = model.predictStream((async function* () {})(), { signal });
      await assert.rejects(stream[Symbol.asyncIterator]().next(), {
        name: "UnimplementedError",
        message: "Model m does not support streaming",
      });
    });
  }
});

Deno.test("loadImplementation() errors name the implementation, the places searched and the cause", async (t) => {
  await using dir = await withTmpDir();
  const options: LoaderOptions = {
    modelsRoot: join(dir.path, "models"),
    modulePath: [join(dir.path, "extra")],
    cwd: join(dir.path, "cwd"),
  };
  const source = join(dir.path, "models", "m", "model-settings.json");
  await Deno.mkdir(join(dir.path, "models", "m"), { recursive: true });
  await Deno.writeTextFile(
    join(dir.path, "models", "m", "broken.ts"),
    "export class Broken {\n  predict( {\n",
  );
  await Deno.writeTextFile(
    join(dir.path, "models", "m", "throws.ts"),
    'throw new Error("module init failed");\n',
  );
  const expectFailure = async (spec: string, message: RegExp) => {
    await assert.rejects(loadImplementation(settings(spec, source), options), (err: unknown) => {
      assert.ok(err instanceof RuntimeLoadError, String(err));
      assert.equal(err.status, 500);
      assert.match(
        err.message,
        new RegExp(
          `^Cannot (load|import) implementation '${spec.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}'`,
        ),
      );
      assert.match(err.message, message);
      return true;
    });
  };
  await t.step("module not found lists every candidate", async () => {
    await expectFailure(
      "missing.Model",
      /module 'missing' not found; searched .*models\/m\/missing\.ts, .*models\/m\/missing\.mts, .*models\/m\/missing\/index\.ts, .*models\/missing\.ts.*extra\/missing\.ts.*cwd\/missing\/index\.ts$/,
    );
  });
  await t.step("missing file in the file form", async () => {
    await expectFailure("nope/x.ts:Model", /file .*models\/m\/nope\/x\.ts not found/);
  });
  await t.step("syntax error", async () => {
    await expectFailure(
      "broken.Broken",
      /Cannot import implementation 'broken\.Broken' from file:\/\/.*broken\.ts: /,
    );
  });
  await t.step("module that throws while loading", async () => {
    await expectFailure("throws.Anything", /module init failed/);
  });
  await t.step("export missing", async () => {
    await expectFailure(
      `${fixture("runtimes", "echo.ts")}:Nope`,
      /does not export a class 'Nope' \(it exports EchoModel\)/,
    );
  });
  await t.step("export is not a class", async () => {
    await expectFailure(
      `${fixture("runtimes", "structural.js")}:notAClass`,
      /does not export a class 'notAClass'/,
    );
  });
  await t.step("class without predict()", async () => {
    await expectFailure(
      `${fixture("runtimes", "structural.js")}:NoPredict`,
      /'NoPredict' is not a model class/,
    );
  });
  await t.step("malformed implementation string", async () => {
    await expectFailure(
      "no-dots-here",
      /expected 'module\.Class', 'pkg\.module\.Class' or 'path\/to\/file\.ts:Class'/,
    );
  });
});
