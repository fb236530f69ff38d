/**
 * ONNX as a deployment sees it, with the CLI in a real process: a server
 * without ONNX models needs no FFI permission and never maps onnxruntime;
 * an ONNX model without the permission fails with the flag to add;
 * `deno task start:onnx` serves one; and the image's layout (the library
 * folder next to the executable, filled by scripts/install_onnxruntime.ts,
 * the only path `--allow-ffi` grants) serves one too. The Dockerfile's two
 * stages are checked for that layout.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliCommand, START_PERMISSIONS, startTaskPermissions } from "../_cli.ts";
import {
  fixture,
  type Json,
  postJson,
  repoPath,
  startServer,
  withTmpDir,
  writeModel,
} from "../_helpers.ts";

interface Running extends AsyncDisposable {
  url: string;
  pid: number;
  log: () => string;
}

/** Starts `mlserver start ROOT` (127.0.0.1, port 0) and waits until it is ready. */
async function start(root: string, command: (args: string[]) => Deno.Command): Promise<Running> {
  const child = command([
    "start",
    root,
    "--host",
    "127.0.0.1",
    "--http-port",
    "0",
    "--grpc-port",
    "0",
    "--metrics-port",
    "0",
  ]).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  let log = "";
  let url: string | undefined;
  const deadline = Date.now() + 30_000;
  while (!/Startup finished/.test(log)) {
    const { value, done } = await reader.read();
    if (done || Date.now() > deadline) {
      throw new Error(`the server did not start:\n${log}\n${await stderr}`);
    }
    log += value;
    url ??= /HTTP server running on (http:\/\/\S+)/.exec(log)?.[1];
  }
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      log += value;
    }
  })();
  return {
    url: url!,
    pid: child.pid,
    log: () => log,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await pump;
      await stderr;
    },
  };
}

const cli = (permissions: string[]) => (args: string[]) => cliCommand(args, { permissions });

async function onnxModel(root: string, name: string): Promise<void> {
  const folder = await writeModel(root, name, { name, implementation: "mlserver_onnx.OnnxModel" });
  await Deno.copyFile(fixture("onnx", "graphs", "linear_small.onnx"), join(folder, "model.onnx"));
}

async function xgboostModel(root: string): Promise<void> {
  const folder = await writeModel(root, "iris-xgb", {
    name: "iris-xgb",
    implementation: "mlserver_xgboost.XGBoostModel",
  });
  await Deno.copyFile(fixture("xgboost", "iris_softprob.ubj"), join(folder, "model.ubj"));
}

async function inferSmall(url: string, model: string): Promise<Json> {
  const { status, body } = await postJson(`${url}/v2/models/${model}/infer`, {
    inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
  });
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

/** The shared libraries a process has mapped (Linux). */
async function mappedLibraries(pid: number): Promise<string> {
  return await Deno.readTextFile(`/proc/${pid}/maps`);
}

Deno.test("a server without ONNX models starts without --allow-ffi and never loads onnxruntime", async () => {
  assert.ok(!START_PERMISSIONS.some((p) => p.startsWith("--allow-ffi")));
  await using dir = await withTmpDir();
  await xgboostModel(dir.path);
  await using srv = await start(dir.path, cli(START_PERMISSIONS));
  const { status, body } = await postJson(`${srv.url}/v2/models/iris-xgb/infer`, {
    inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4], data: [6.7, 3.0, 5.2, 2.3] }],
  });
  assert.equal(status, 200, JSON.stringify(body));
  const maps = await mappedLibraries(srv.pid);
  assert.match(maps, /libc\.so/, "the maps file lists the process's libraries");
  assert.doesNotMatch(maps, /onnxruntime/);
});

Deno.test("an ONNX model without --allow-ffi fails to load, naming the flag; other models serve", async () => {
  await using dir = await withTmpDir();
  await xgboostModel(dir.path);
  await onnxModel(dir.path, "small");
  await using srv = await start(dir.path, cli(START_PERMISSIONS));
  const { body } = await postJson(`${srv.url}/v2/repository/index`, {});
  const small = body.find((m: Json) => m.name === "small");
  assert.equal(small.state, "UNAVAILABLE");
  assert.match(small.reason, /--allow-ffi/);
  assert.match(small.reason, /MLSERVER_PERMISSIONS=--allow-ffi/);
  assert.equal(body.find((m: Json) => m.name === "iris-xgb").state, "READY");
});

Deno.test("deno task start:onnx is start asking for FFI: a scoped server loads ONNX models later (ModelMesh)", async () => {
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  assert.equal(config.tasks["start:onnx"], "deno task start --allow-ffi");
  await using dir = await withTmpDir();
  const models = join(dir.path, "models");
  await xgboostModel(models);
  // The task's flags launch a scoped child; --allow-ffi grants the ONNX library only.
  const launcher = startTaskPermissions();
  await using srv = await start(models, (args) =>
    cliCommand([...args, "--allow-ffi"], {
      permissions: launcher,
    }));
  await onnxModel(models, "small"); // arrives after startup, as ModelMesh's do
  const load = await fetch(`${srv.url}/v2/repository/models/small/load`, { method: "POST" });
  assert.equal(load.status, 200, await load.text());
  const body = await inferSmall(srv.url, "small");
  assert.deepEqual(body.outputs[0].shape, [1, 3]);
});

Deno.test("the image layout: <prefix>/lib/mlserver/onnxruntime next to <prefix>/bin, the only FFI path", async () => {
  await using dir = await withTmpDir();
  const prefix = join(dir.path, "usr-local");
  await Deno.mkdir(join(prefix, "bin"), { recursive: true });
  const deno = join(prefix, "bin", "deno");
  // Deno.execPath() is /proc/self/exe: a hard link (or a copy) keeps the prefix.
  await Deno.link(Deno.execPath(), deno).catch(() => Deno.copyFile(Deno.execPath(), deno));
  const folder = join(prefix, "lib", "mlserver", "onnxruntime");
  const install = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      repoPath("scripts", "install_onnxruntime.ts"),
      folder,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(install.success, new TextDecoder().decode(install.stderr));
  const native = join(folder, "node_modules", "onnxruntime-node", "bin", "napi-v6");
  const platforms: string[] = [];
  for await (const os of Deno.readDir(native)) {
    for await (const arch of Deno.readDir(join(native, os.name))) {
      platforms.push(`${os.name}/${arch.name}`);
    }
  }
  assert.equal(platforms.length, 1, `one platform's library: ${platforms}`);
  const models = join(dir.path, "models");
  await onnxModel(models, "small");
  const permissions = START_PERMISSIONS.concat(`--allow-ffi=${folder}`);
  // The command line of `deno task start` plus the grant, run by the Deno inside the prefix.
  await using srv = await start(models, (args) =>
    new Deno.Command(deno, {
      args: [
        "run",
        ...permissions,
        "--config",
        repoPath("deno.json"),
        repoPath("main.ts"),
        ...args,
      ],
      env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
      stdout: "piped",
      stderr: "piped",
      cwd: repoPath(),
    }));
  await inferSmall(srv.url, "small");
  const maps = await mappedLibraries(srv.pid);
  assert.ok(
    maps.includes(join(native, platforms[0]!, "libonnxruntime.so.1")),
    "loaded from the folder",
  );
});

Deno.test("Dockerfile: both stages fill /usr/local/lib/mlserver/onnxruntime and grant FFI only there", async () => {
  const text = await Deno.readTextFile(repoPath("Dockerfile"));
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  const folder = "/usr/local/lib/mlserver/onnxruntime";
  assert.ok(config.tasks.compile.includes(`--allow-ffi=${folder} `), "the executable's FFI grant");
  for (const stage of ["compile", "source"]) {
    const body = text.split(new RegExp(`^FROM .* AS ${stage}$`, "m"))[1]!.split(/^FROM /m)[0]!;
    assert.match(body, new RegExp(`scripts/install_onnxruntime\\.ts /out${folder}`), stage);
    const grants = [...body.matchAll(/--allow-ffi(=\S+)?/g)].map((m) => m[0]);
    assert.ok(grants.every((g) => g === `--allow-ffi=${folder}`), `${stage}: ${grants}`);
  }
  const source = text.split(/^FROM .* AS source$/m)[1]!.split(/^FROM /m)[0]!;
  assert.match(
    source,
    /--allow-ffi=\/usr\/local\/lib\/mlserver\/onnxruntime \/opt\/mlserver-src\/main\.ts/,
  );
  assert.match(source, /rm -rf "\$DENO_DIR"\/npm\/registry\.npmjs\.org\/onnxruntime-node\/\*\/bin/);
});

Deno.test("an ONNX model with parallel_workers: 1 still serves in the server process (the key is not applied)", async () => {
  await using dir = await withTmpDir();
  const folder = await writeModel(dir.path, "small", {
    name: "small",
    implementation: "mlserver_onnx.OnnxModel",
    parallel_workers: 1,
  });
  await Deno.copyFile(fixture("onnx", "graphs", "linear_small.onnx"), join(folder, "model.onnx"));
  await using srv = await startServer(dir.path);
  const body = await inferSmall(srv.url, "small");
  const probabilities: number[] = body.outputs[0].data;
  assert.equal(probabilities.length, 3);
  assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-6, "a softmax");
});
