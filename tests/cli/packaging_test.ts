import assert from "node:assert/strict";
import { join } from "node:path";
import { buildArgs } from "../../src/cli/build.ts";
import {
  DOCKERIGNORE,
  IMAGE_FOLDER,
  inspectFolder,
  renderDockerfile,
} from "../../src/cli/packaging.ts";
import { scaffoldFiles } from "../../src/cli/scaffold.ts";
import { VERSION } from "../../src/version.ts";
import serverConfig from "../../deno.json" with { type: "json" };
import { type CliOptions, runCli } from "../_cli.ts";
import { repoPath, withTmpDir, writeModel } from "../_helpers.ts";

/** The CLI as a process, with every permission (dockerfile and build write and run). */
const cli = (args: string[], options: CliOptions = {}) =>
  runCli(args, { permissions: ["-A"], ...options });

Deno.test("renderDockerfile() layers each folder shape on the server image", async (t) => {
  await using dir = await withTmpDir();
  await t.step("settings, models and modules", async () => {
    const root = join(dir.path, "full");
    await writeModel(root, "a", { implementation: "runtime.A" });
    await writeModel(root, "b/1", { name: "b", implementation: "runtime.A" });
    await Deno.writeTextFile(join(root, "settings.json"), "{}");
    await Deno.writeTextFile(join(root, "a", "runtime.ts"), "export class A {}");
    await Deno.writeTextFile(join(root, "a", "runtime_test.ts"), "");
    await Deno.mkdir(join(root, ".git"));
    await Deno.writeTextFile(join(root, ".git", "x.ts"), "");
    const shape = await inspectFolder(root);
    assert.deepEqual(shape, {
      settings: true,
      modelSettings: ["a/model-settings.json", "b/1/model-settings.json"],
      modules: ["a/runtime.ts"],
      dependencies: [],
    });
    const dockerfile = renderDockerfile(shape);
    assert.match(
      dockerfile,
      /Found: settings.json, 2 model-settings.json, 1 runtime module\(s\), no deno.json/,
    );
    assert.match(dockerfile, new RegExp(`^ARG MLSERVER_IMAGE=mlserver-deno:${VERSION}$`, "m"));
    assert.match(dockerfile, /^FROM \$\{MLSERVER_IMAGE\}$/m);
    assert.match(dockerfile, new RegExp(`^COPY --chown=1000:0 \\. ${IMAGE_FOLDER}$`, "m"));
    assert.match(dockerfile, /^RUN chmod -R g=u /m);
    assert.match(dockerfile, /^USER 1000$/m);
    assert.match(dockerfile, new RegExp(`MLSERVER_MODELS_DIR=${IMAGE_FOLDER}`));
    assert.match(dockerfile, new RegExp(`MLSERVER_MODULE_PATH=${IMAGE_FOLDER}:/opt/runtimes`));
    assert.doesNotMatch(dockerfile, /AS build/);
    assert.equal(dockerfile.match(/^FROM /gm)?.length, 1);
  });
  await t.step("no settings files at all (the environment names the model)", async () => {
    const root = join(dir.path, "bare");
    await Deno.mkdir(root);
    await Deno.writeTextFile(join(root, "model.json"), "{}");
    const dockerfile = renderDockerfile(await inspectFolder(root));
    assert.match(
      dockerfile,
      /Found: no settings.json, 0 model-settings.json, 0 runtime module\(s\), no deno.json/,
    );
    assert.match(dockerfile, /^COPY --chown=1000:0 \. /m);
  });
  await t.step(
    "a deno.json of what the server provides (mlserver init's) needs no rebuild",
    async () => {
      const root = join(dir.path, "scaffold");
      for (const [path, text] of Object.entries(scaffoldFiles({ zod: serverConfig.imports.zod }))) {
        await Deno.mkdir(join(root, path, ".."), { recursive: true });
        await Deno.writeTextFile(join(root, path), text);
      }
      const shape = await inspectFolder(root);
      assert.equal(shape.denoConfig, "deno.json");
      assert.deepEqual(shape.dependencies, []);
      assert.deepEqual(shape.modules, ["models/my-model/my_model.ts"]);
      const dockerfile = renderDockerfile(shape);
      assert.doesNotMatch(dockerfile, /AS build/);
      assert.equal(dockerfile.match(/^FROM /gm)?.length, 1);
    },
  );
  await t.step("a deno.jsonc with comments and a package of its own rebuilds", async () => {
    const root = join(dir.path, "jsonc");
    await Deno.mkdir(root);
    await Deno.writeTextFile(
      join(root, "deno.jsonc"),
      '{\n  // the client library\n  "imports": { "mlserver": "./x.ts", "lib": "npm:lib@1" /* pinned */ }\n}',
    );
    const shape = await inspectFolder(root);
    assert.deepEqual([shape.denoConfig, shape.dependencies], ["deno.jsonc", ["lib"]]);
    assert.match(renderDockerfile(shape), /# deno.jsonc imports lib, which the server does/);
  });
  await t.step("a deno.json rebuilds the executable with the folder's code", async () => {
    const root = join(dir.path, "deps");
    await writeModel(root, "m", { implementation: "runtime.M" });
    await Deno.writeTextFile(
      join(root, "deno.json"),
      JSON.stringify({ imports: { lodash: "npm:lodash@4" } }),
    );
    const shape = await inspectFolder(root);
    assert.equal(shape.denoConfig, "deno.json");
    assert.deepEqual(shape.dependencies, ["lodash"]);
    const dockerfile = renderDockerfile(shape, { image: "srv:1", builderImage: "srv:1-builder" });
    assert.match(dockerfile, /^ARG MLSERVER_BUILDER_IMAGE=srv:1-builder$/m);
    assert.match(dockerfile, /^FROM \$\{MLSERVER_BUILDER_IMAGE\} AS build$/m);
    assert.match(dockerfile, new RegExp(`^COPY \\. ${IMAGE_FOLDER}$`, "m"));
    assert.match(
      dockerfile,
      new RegExp(`scripts/compile_with.ts ${IMAGE_FOLDER} /out/mlserver$`, "m"),
    );
    assert.match(dockerfile, /^COPY --from=build \/out\/mlserver \/usr\/local\/bin\/mlserver$/m);
    assert.equal(dockerfile.match(/^FROM /gm)?.length, 2);
  });
});

Deno.test("mlserver dockerfile writes the Dockerfile and, when asked, the .dockerignore", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "m", { implementation: "runtime.M" });
  const plain = await cli(["dockerfile", dir.path]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(
    await Deno.readTextFile(join(dir.path, "Dockerfile")),
    /^FROM \$\{MLSERVER_IMAGE\}$/m,
  );
  await assert.rejects(Deno.stat(join(dir.path, ".dockerignore")));
  const withIgnore = await cli([
    "dockerfile",
    dir.path,
    "--include-dockerignore",
    "--image",
    "mine:2",
  ]);
  assert.equal(withIgnore.code, 0, withIgnore.stderr);
  assert.equal(await Deno.readTextFile(join(dir.path, ".dockerignore")), DOCKERIGNORE);
  assert.match(
    await Deno.readTextFile(join(dir.path, "Dockerfile")),
    /^ARG MLSERVER_IMAGE=mine:2$/m,
  );
  const missing = await cli(["dockerfile", join(dir.path, "nope")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /is not a folder/);
});

Deno.test("mlserver build explains that no builder exists", async () => {
  await using dir = await withTmpDir();
  const emptyPath = join(dir.path, "bin");
  await Deno.mkdir(emptyPath);
  const { code, stderr } = await cli(["build", dir.path, "-t", "x:1"], {
    env: { PATH: emptyPath },
  });
  assert.equal(code, 1);
  assert.match(
    stderr,
    /No container builder found: install Docker \(with its daemon running\), Podman or Buildah \(looked for docker, podman and buildah on PATH\)/,
  );
  const noTag = await cli(["build", dir.path], { env: { PATH: emptyPath } });
  assert.equal(noTag.code, 2);
  assert.match(noTag.stderr, /build needs an image tag/);
});

Deno.test("mlserver build says when docker is installed but its daemon does not answer", async () => {
  await using dir = await withTmpDir();
  const bin = join(dir.path, "bin");
  await Deno.mkdir(bin);
  // A docker client as it answers without a daemon: --version works, info fails.
  await Deno.writeTextFile(
    join(bin, "docker"),
    `#!/bin/sh
[ "$1" = "--version" ] && echo "Docker version 28.2.2" && exit 0
echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
exit 1
`,
    { mode: 0o755 },
  );
  for (const args of [[], ["--builder", "docker"]]) {
    const { code, stderr } = await cli(["build", dir.path, "-t", "x:1", ...args], {
      env: { PATH: bin },
    });
    assert.equal(code, 1);
    assert.match(
      stderr,
      /docker is installed but there is no running Docker daemon \(docker info: Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock\. Is the docker daemon running\?\): start the daemon/,
    );
    assert.doesNotMatch(stderr, /Failed to resolve|allow-run/);
  }
});

Deno.test("deno task cli prints no warning for builders that are not installed", async () => {
  await using dir = await withTmpDir();
  // No docker, podman or buildah on this PATH: each would be a "Failed to resolve" line.
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "cli", "--help"],
    cwd: repoPath(),
    env: { PATH: dir.path },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.match(new TextDecoder().decode(output.stdout), /^mlserver \S+: /);
  assert.equal(stderr, "");
});

/** A fake builder on PATH that records its arguments and the Dockerfile it was given. */
async function fakeBuilder(bin: string, name: string, record: string): Promise<void> {
  await Deno.writeTextFile(
    join(bin, name),
    `#!/bin/sh
[ "$1" = "--version" ] && exit 0
printf '%s\\n' "$@" > ${record}/args
while [ "$#" -gt 0 ]; do
  [ "$1" = "-f" ] && /bin/cp "$2" ${record}/Dockerfile && echo "$2" > ${record}/path
  shift
done
exit \${FAKE_EXIT:-0}
`,
    { mode: 0o755 },
  );
}

Deno.test("mlserver build runs the builder on a temporary Dockerfile and cleans up", async (t) => {
  await using dir = await withTmpDir();
  const bin = join(dir.path, "bin");
  const record = join(dir.path, "record");
  const folder = join(dir.path, "models");
  await Deno.mkdir(bin);
  await Deno.mkdir(record);
  await writeModel(folder, "m", { implementation: "runtime.M" });
  await fakeBuilder(bin, "podman", record);
  await fakeBuilder(bin, "buildah", record);
  const env = { PATH: bin };
  await t.step(
    "podman when docker is absent: its flags, the Dockerfile, no leftovers",
    async () => {
      const { code, stdout, stderr } = await cli(["build", folder, "-t", "m:1", "--no-cache"], {
        env,
      });
      assert.equal(code, 0, stderr);
      assert.match(stdout, /Built m:1/);
      const args = (await Deno.readTextFile(join(record, "args"))).trim().split("\n");
      const dockerfile = (await Deno.readTextFile(join(record, "path"))).trim();
      const workdir = join(dockerfile, "..");
      assert.deepEqual(
        args,
        buildArgs("podman", {
          folder,
          dockerfile,
          ignoreFile: join(workdir, "Dockerfile.dockerignore"),
          tag: "m:1",
          noCache: true,
        }),
      );
      assert.equal(
        await Deno.readTextFile(join(record, "Dockerfile")),
        renderDockerfile(await inspectFolder(folder)),
      );
      await assert.rejects(
        Deno.stat(workdir),
        Deno.errors.NotFound,
        "the temporary folder is gone",
      );
    },
  );
  await t.step("--builder buildah picks buildah", async () => {
    const { code } = await cli(["build", folder, "-t", "m:2", "--builder", "buildah"], { env });
    assert.equal(code, 0);
    const args = (await Deno.readTextFile(join(record, "args"))).trim().split("\n");
    assert.equal(args[0], "build");
    assert.ok(!args.includes("--rm"), "buildah's flags, not podman's");
  });
  await t.step("a failing build exits 1 naming the builder and its code", async () => {
    const { code, stderr } = await cli(["build", folder, "-t", "m:3"], {
      env: { ...env, FAKE_EXIT: "3" },
    });
    assert.equal(code, 1);
    assert.match(stderr, /podman build failed with exit code 3/);
    const dockerfile = (await Deno.readTextFile(join(record, "path"))).trim();
    await assert.rejects(Deno.stat(join(dockerfile, "..")), Deno.errors.NotFound);
  });
});

Deno.test("buildArgs() speaks each builder's flags", () => {
  const options = {
    folder: "/f",
    dockerfile: "/t/Dockerfile",
    ignoreFile: "/t/Dockerfile.dockerignore",
    tag: "x:1",
    noCache: true,
  };
  assert.deepEqual(buildArgs("docker", options), [
    "build",
    "--rm",
    "--no-cache",
    "-f",
    "/t/Dockerfile",
    "-t",
    "x:1",
    "/f",
  ]);
  assert.deepEqual(buildArgs("podman", options), [
    "build",
    "--rm",
    "--no-cache",
    "--ignorefile",
    "/t/Dockerfile.dockerignore",
    "-f",
    "/t/Dockerfile",
    "-t",
    "x:1",
    "/f",
  ]);
  assert.deepEqual(buildArgs("buildah", { ...options, noCache: false }), [
    "build",
    "--ignorefile",
    "/t/Dockerfile.dockerignore",
    "-f",
    "/t/Dockerfile",
    "-t",
    "x:1",
    "/f",
  ]);
});

Deno.test("scripts/compile_with.ts compiles a folder's modules and dependencies in", async () => {
  await using dir = await withTmpDir();
  const folder = join(dir.path, "models");
  await writeModel(folder, "m", { implementation: "validated.Validated" });
  await Deno.writeTextFile(
    join(folder, "deno.json"),
    JSON.stringify({ imports: { "schema-lib": "npm:zod@4.6.7", mlserver: "./elsewhere.ts" } }),
  );
  await Deno.writeTextFile(
    join(folder, "m", "validated.ts"),
    `import { z } from "schema-lib";
import { MLModel, type InferenceRequest, type InferenceResponse } from "mlserver";
export class Validated extends MLModel {
  predict(r: InferenceRequest): Promise<InferenceResponse> {
    z.array(z.unknown()).parse(r.inputs);
    return Promise.resolve({ model_name: this.name, outputs: [] });
  }
}
`,
  );
  const { compileWithArgs } = await import("../../scripts/compile_with.ts");
  try {
    await compilesFolder(await compileWithArgs(folder, join(dir.path, "mlserver")), folder);
  } finally {
    await Deno.remove(repoPath("deno.compile.json")).catch(() => {});
    await Deno.remove(repoPath("deno.compile.lock")).catch(() => {});
  }
});

async function compilesFolder(args: string[], folder: string): Promise<void> {
  assert.deepEqual(
    args.slice(
      args.indexOf("--include", args.indexOf("--lock=deno.compile.lock")),
      args.indexOf("main.ts"),
    ),
    ["--include", join(folder, "m", "validated.ts")],
  );
  const merged = JSON.parse(await Deno.readTextFile(repoPath("deno.compile.json")));
  assert.equal(
    merged.imports["schema-lib"],
    "npm:zod@4.6.7",
    "the folder's dependencies are added",
  );
  assert.equal(merged.imports.mlserver, "./src/mod.ts", "the server's SDK wins");
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: repoPath(),
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0", DENORT_BIN: Deno.execPath() },
    stderr: "piped",
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, text);
  assert.match(text, /validated\.ts/, "the folder's module is embedded");
}
