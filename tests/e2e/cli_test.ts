/**
 * The command line as users run it: a real `deno run main.ts` process.
 */
import assert from "node:assert/strict";
import { call, grpc, inferenceClient } from "../_grpc.ts";
import { join } from "node:path";
import { VERSION } from "../../src/version.ts";
import { runCli as run, startCli as startProcess } from "../_cli.ts";
import { repoPath, RUNTIMES, withTmpDir, writeModel } from "../_helpers.ts";

Deno.test("mlserver --version, --help and usage errors", async (t) => {
  await t.step("--version", async () => {
    const { code, stdout } = await run(["--version"]);
    assert.equal(code, 0);
    assert.equal(stdout, `mlserver ${VERSION}\n`);
  });
  await t.step("--help lists commands", async () => {
    const { code, stdout } = await run(["--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /start \[FOLDER\]/);
  });
  await t.step("start --help", async () => {
    const { code, stdout } = await run(["start", "--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: mlserver start \[FOLDER\]/);
  });
  await t.step("unknown command exits 2", async () => {
    const { code, stderr } = await run(["serve"]);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      "error: Unknown command 'serve'. Run 'mlserver --help' for the list of commands.\n",
    );
  });
  await t.step("unknown flag exits 2", async () => {
    const { code, stderr } = await run(["start", "--port", "1"]);
    assert.equal(code, 2);
    assert.match(stderr, /^error: Unknown option '--port'/);
  });
  await t.step("a models folder that is a file exits 2", async () => {
    const { code, stderr } = await run(["start", repoPath("deno.json")]);
    assert.equal(code, 2);
    assert.equal(stderr, `error: Models folder '${repoPath("deno.json")}' is not a folder\n`);
  });
});

Deno.test("mlserver start exits 2 with a one-line message naming the bad field and file", async () => {
  await using dir = await withTmpDir();
  await Deno.writeTextFile(
    join(dir.path, "settings.json"),
    JSON.stringify({ http_port: "eighty" }),
  );
  const { code, stderr } = await run(["start", dir.path]);
  assert.equal(code, 2);
  assert.equal(stderr.trim().split("\n").length, 1);
  assert.match(
    stderr,
    /^error: Invalid settings: http_port \(from file .*settings\.json\): expected number, got/,
  );
  const bad = await run(["start", dir.path], { env: { MLSERVER_DEBUG: "perhaps" } });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /MLSERVER_DEBUG/);
});

Deno.test("deno task examples' command serves every example model", async () => {
  const server = await startProcess(["examples/models"], {
    env: { MLSERVER_MODULE_PATH: repoPath("examples/runtimes") },
  });
  try {
    await server.waitReady();
    const iris = await fetch(`${server.url}/v2/models/iris/infer`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
      }),
    });
    assert.deepEqual((await iris.json()).outputs[0].data, [0]);
    const xgboost = await fetch(`${server.url}/v2/models/iris-xgboost/infer`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{
          name: "input-0",
          datatype: "FP32",
          shape: [2, 4],
          data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3],
        }],
      }),
    });
    assert.deepEqual((await xgboost.json()).outputs[0].data, [0, 2], "the built-in runtime");
    const text = await fetch(`${server.url}/v2/models/text-stats/infer`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["two words"] }],
      }),
    });
    assert.deepEqual((await text.json()).outputs.map((o: { data: number[] }) => o.data[0]), [
      9,
      2,
      1,
    ]);
    const prices = await fetch(`${server.url}/v2/models/house-prices/infer`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [
          { name: "rooms", datatype: "INT32", shape: [1, 1], data: [3] },
          { name: "area", datatype: "FP64", shape: [1, 1], data: [82.5] },
          { name: "built", datatype: "BYTES", shape: [1, 1], data: ["2004-05-01"] },
          { name: "city", datatype: "BYTES", shape: [1, 1], data: ["Oslo"] },
        ],
      }),
    });
    const answer = await prices.json();
    assert.equal(Math.round(answer.outputs[0].data[0]), 352108, "the README's example answer");
    assert.deepEqual(answer.outputs[1].data, ["mid"]);
  } finally {
    const { code } = await server.stop();
    assert.equal(code, 0);
  }
});

Deno.test("the environment-only model starts from the module's folder with no settings file", async () => {
  await using dir = await withTmpDir();
  const server = await startProcess([dir.path], {
    cwd: repoPath("examples/models/iris"),
    env: {
      MLSERVER_MODEL_IMPLEMENTATION: "custom_model.CustomMLModel",
      MLSERVER_MODEL_NAME: "x",
      MLSERVER_MODEL_URI: repoPath("examples/models/iris"),
    },
  });
  try {
    await server.waitReady();
    const response = await fetch(`${server.url}/v2/models/x/infer`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4], data: [6.7, 3.0, 5.2, 2.3] }],
      }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual((await response.json()).outputs[0].data, [2]);
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});

Deno.test("SIGTERM lets in-flight requests finish, then exits 0", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "sleepy", {
    implementation: RUNTIMES.behaviours("Sleeper"),
    parameters: { extra: { delay_ms: 400 } },
  });
  const server = await startProcess([dir.path]);
  await server.waitReady();
  const inflight = fetch(`${server.url}/v2/models/sleepy/infer`, {
    method: "POST",
    body: JSON.stringify({ inputs: [{ name: "x", datatype: "INT32", shape: [1], data: [42] }] }),
  });
  await new Promise((r) => setTimeout(r, 100));
  const stopping = server.stop("SIGTERM");
  const response = await inflight;
  assert.equal(response.status, 200);
  assert.deepEqual((await response.json()).outputs[0].data, [42]);
  const { code } = await stopping;
  assert.equal(code, 0);
  assert.ok(server.lines.some((l) => l.includes("Shutting down")));
  assert.ok(server.lines.some((l) => l.includes("[sleepy] INFO - Unloaded model")));
  await assert.rejects(fetch(`${server.url}/v2/health/live`), "no longer accepting connections");
});

Deno.test("SIGTERM with requests past shutdown_timeout: exits within it, answering them 503 / UNAVAILABLE", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "sleepy", {
    implementation: RUNTIMES.behaviours("Sleeper"),
    parameters: { extra: { delay_ms: 8000 } },
  });
  const server = await startProcess([dir.path], { env: { MLSERVER_SHUTDOWN_TIMEOUT: "2" } });
  await server.waitReady();
  const body = JSON.stringify({
    inputs: [{ name: "x", datatype: "INT32", shape: [1], data: [1] }],
  });
  const rest = Array.from(
    { length: 3 },
    () =>
      fetch(`${server.url}/v2/models/sleepy/infer`, { method: "POST", body })
        .then(async (r) => ({ status: r.status, body: await r.json() })),
  );
  const client = inferenceClient(server.grpcPort);
  const grpcCalls = Array.from({ length: 2 }, () =>
    call(client, "ModelInfer", {
      model_name: "sleepy",
      inputs: [{ name: "x", datatype: "INT32", shape: [1], contents: { int_contents: [1] } }],
    }));
  await new Promise((r) => setTimeout(r, 300)); // all five are running
  const started = performance.now();
  const { code } = await server.stop("SIGTERM");
  const took = performance.now() - started;
  client.close();
  assert.equal(code, 0);
  assert.ok(took < 3000, `stopped after ${Math.round(took)} ms (shutdown_timeout is 2 s)`);
  for (const answer of await Promise.all(rest)) {
    assert.deepEqual(answer, { status: 503, body: { error: "The server is shutting down" } });
  }
  for (const answer of await Promise.all(grpcCalls)) {
    assert.equal(answer.error?.code, grpc.status.UNAVAILABLE);
    assert.equal(answer.error?.details, "The server is shutting down");
  }
});

Deno.test("two signals at once (Ctrl-C under deno task) are one graceful stop; a later one exits at once", async (t) => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "sleepy", {
    implementation: RUNTIMES.behaviours("Sleeper"),
    parameters: { extra: { delay_ms: 3000 } },
  });
  const body = JSON.stringify({
    inputs: [{ name: "x", datatype: "INT32", shape: [1], data: [1] }],
  });
  await t.step("together: the drain still happens", async () => {
    const server = await startProcess([dir.path], { env: { MLSERVER_SHUTDOWN_TIMEOUT: "10" } });
    await server.waitReady();
    const inflight = fetch(`${server.url}/v2/models/sleepy/infer`, { method: "POST", body });
    await new Promise((r) => setTimeout(r, 200));
    const pid = server.pid;
    Deno.kill(pid, "SIGINT");
    Deno.kill(pid, "SIGINT");
    const response = await inflight;
    assert.equal(response.status, 200, "the running request finished");
    await response.body?.cancel();
    const { code } = await server.exited(); // the one stop the two signals asked for
    assert.equal(code, 0);
    assert.ok(server.lines.some((l) => l.includes("Stopped")));
    assert.ok(!server.lines.some((l) => l.includes("Second signal")));
  });
  await t.step("a second or more apart: exits now", async () => {
    const server = await startProcess([dir.path], { env: { MLSERVER_SHUTDOWN_TIMEOUT: "10" } });
    await server.waitReady();
    const inflight = fetch(`${server.url}/v2/models/sleepy/infer`, { method: "POST", body })
      .then((r) => r.body?.cancel(), () => {});
    await new Promise((r) => setTimeout(r, 200));
    Deno.kill(server.pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 1200));
    const { code } = await server.stop("SIGTERM");
    await inflight;
    assert.equal(code, 1);
    assert.ok(server.lines.some((l) => l.includes("Second signal: exiting now")));
  });
});

Deno.test("a port in use: exit 1 with one line naming the listener and the address", async (t) => {
  await using dir = await withTmpDir();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const listeners = [
      ["HTTP", "--http-port"],
      ["gRPC", "--grpc-port"],
      ["metrics", "--metrics-port"],
    ] as const;
    for (const [listener, flag] of listeners) {
      await t.step(listener, async () => {
        const ports = ["--http-port", "0", "--grpc-port", "0", "--metrics-port", "0"];
        ports[ports.indexOf(flag) + 1] = String(port);
        const { code, stdout, stderr } = await run([
          "start",
          dir.path,
          "--host",
          "127.0.0.1",
          ...ports,
        ]);
        assert.equal(code, 1);
        assert.equal(
          stderr,
          `error: mlserver start failed: Cannot listen for ${listener} on 127.0.0.1:${port}: ` +
            "the address is already in use (another server?)\n",
        );
        assert.ok(!/No address added/.test(stdout + stderr), "no stray grpc-js line");
      });
    }
  } finally {
    taken.close();
  }
});

Deno.test("a models folder that does not exist yet is served once it appears (ModelMesh starts first)", async () => {
  await using dir = await withTmpDir();
  const folder = join(dir.path, "_mlserver_models");
  const server = await startProcess([folder], {
    env: { MLSERVER_LOAD_MODELS_AT_STARTUP: "false" },
  });
  try {
    await server.waitReady();
    assert.ok(server.lines.some((l) => l.includes("does not exist yet")));
    await writeModel(folder, "echo", { implementation: RUNTIMES.echo });
    const load = await fetch(`${server.url}/v2/repository/models/echo/load`, { method: "POST" });
    assert.equal(load.status, 200);
    assert.equal((await fetch(`${server.url}/v2/models/echo/ready`)).status, 200);
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});
