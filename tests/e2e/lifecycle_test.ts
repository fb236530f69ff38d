/**
 * Model lifecycle and limits end to end: reload and unload while other
 * models serve, readiness rules, per-model concurrency, timeouts, CORS.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fixture,
  getJson,
  type Json,
  postJson,
  repoPath,
  RUNTIMES,
  startServer,
  withTmpDir,
  writeModel,
} from "../_helpers.ts";
import { call, inferenceClient } from "../_grpc.ts";

/** Waits until `condition` holds, failing after `ms` (never hanging a test). */
async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ONE = { inputs: [{ name: "x", datatype: "INT32", shape: [1], data: [7] }] };

Deno.test("reload and unload of one model never disturb another, and reload drops no request", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "a", {
    implementation: RUNTIMES.echo,
    parameters: { extra: { generation: 1 } },
  });
  await writeModel(dir.path, "b", { implementation: RUNTIMES.echo });
  await using srv = await startServer(dir.path);
  const statuses = { a: [] as number[], b: [] as number[] };
  let phase: "reload" | "unloaded" | "done" = "reload";
  const hammer = async (name: "a" | "b") => {
    while (phase !== "done") {
      const { status } = await postJson(`${srv.url}/v2/models/${name}/infer`, ONE);
      if (name === "b" || phase === "reload") statuses[name].push(status);
    }
  };
  const load = hammer("a");
  const other = hammer("b");
  for (let i = 0; i < 5; i++) {
    const reload = await fetch(`${srv.url}/v2/repository/models/a/load`, { method: "POST" });
    assert.equal(reload.status, 200);
    await reload.body?.cancel();
  }
  phase = "unloaded";
  assert.equal(
    (await fetch(`${srv.url}/v2/repository/models/a/unload`, { method: "POST" })).status,
    200,
  );
  assert.deepEqual(await postJson(`${srv.url}/v2/models/a/infer`, ONE).then((r) => r.body), {
    error: "Model a not found",
  });
  const index = await postJson(`${srv.url}/v2/repository/index`, {});
  assert.equal(index.body.find((e: Json) => e.name === "a").state, "UNAVAILABLE");
  assert.equal(
    (await fetch(`${srv.url}/v2/repository/models/a/load`, { method: "POST" })).status,
    200,
  );
  assert.equal((await postJson(`${srv.url}/v2/models/a/infer`, ONE)).status, 200);
  phase = "done";
  await Promise.all([load, other]);
  assert.ok(statuses.a.length > 0 && statuses.b.length > 0);
  assert.deepEqual(
    [...new Set(statuses.a)],
    [200],
    "every request to a succeeded during the reloads",
  );
  assert.deepEqual([...new Set(statuses.b)], [200], "b kept serving throughout");
});

Deno.test("a load picks up edited settings and versions that disappeared are unloaded", async () => {
  await using dir = await withTmpDir();
  const folder = await writeModel(dir.path, "m1", {
    name: "m",
    implementation: RUNTIMES.echo,
    parameters: { version: "1" },
  });
  await writeModel(dir.path, "m2", {
    name: "m",
    implementation: RUNTIMES.echo,
    parameters: { version: "2" },
  });
  await using srv = await startServer(dir.path);
  assert.equal((await getJson(`${srv.url}/v2/models/m/versions/1/ready`)).status, 200);
  await Deno.remove(folder, { recursive: true });
  assert.equal(
    (await fetch(`${srv.url}/v2/repository/models/m/load`, { method: "POST" })).status,
    200,
  );
  assert.equal((await getJson(`${srv.url}/v2/models/m/versions/1/ready`)).status, 404);
  assert.equal((await getJson(`${srv.url}/v2/models/m/versions/2/ready`)).status, 200);
});

Deno.test("readiness: not ready without models, ready at once without startup loading", async (t) => {
  await using dir = await withTmpDir();
  await t.step("startup loading with no model found", async () => {
    await using srv = await startServer(dir.path);
    assert.equal((await fetch(`${srv.url}/v2/health/ready`)).status, 400);
    assert.deepEqual((await postJson(`${srv.url}/v2/repository/index`, {})).body, []);
  });
  await t.step("load_models_at_startup=false (ModelMesh)", async () => {
    await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
    await using srv = await startServer(dir.path, { settings: { load_models_at_startup: false } });
    assert.equal((await fetch(`${srv.url}/v2/health/ready`)).status, 200);
    assert.equal(
      (await getJson(`${srv.url}/v2/models/echo/ready`)).status,
      404,
      "nothing loaded yet",
    );
    assert.equal(
      (await fetch(`${srv.url}/v2/repository/models/echo/load`, { method: "POST" })).status,
      200,
    );
    assert.equal((await getJson(`${srv.url}/v2/models/echo/ready`)).status, 200);
  });
  await t.step("every startup model ready", async () => {
    await using srv = await startServer(dir.path);
    assert.equal((await fetch(`${srv.url}/v2/health/ready`)).status, 200);
    // A model unloaded on purpose no longer counts: ready stays 200, as in MLServer.
    await (await fetch(`${srv.url}/v2/repository/models/echo/unload`, { method: "POST" })).body
      ?.cancel();
    assert.equal((await fetch(`${srv.url}/v2/health/ready`)).status, 200);
    await (await fetch(`${srv.url}/v2/repository/models/echo/load`, { method: "POST" })).body
      ?.cancel();
    assert.equal((await fetch(`${srv.url}/v2/health/ready`)).status, 200);
    // A model that fails to load does count.
    await writeModel(dir.path, "broken", { implementation: RUNTIMES.behaviours("LoadThrows") });
    const failed = await fetch(`${srv.url}/v2/repository/models/broken/load`, { method: "POST" });
    assert.equal(failed.status, 500);
    await failed.body?.cancel();
    assert.equal((await fetch(`${srv.url}/v2/health/ready`)).status, 400);
    await Deno.remove(join(dir.path, "broken"), { recursive: true });
  });
});

Deno.test("the environment-only model is served (the ModelMesh and KServe way)", async () => {
  await using dir = await withTmpDir();
  const env = {
    MLSERVER_MODEL_IMPLEMENTATION: "custom_model.CustomMLModel",
    MLSERVER_MODEL_NAME: "x",
    MLSERVER_MODEL_URI: repoPath("examples/models/iris"),
    MLSERVER_MODULE_PATH: repoPath("examples/models/iris"),
  };
  await using srv = await startServer(dir.path, { env });
  assert.equal((await fetch(`${srv.url}/v2/health/ready`)).status, 200);
  const { status, body } = await postJson(`${srv.url}/v2/models/x/infer`, {
    inputs: [{ name: "input-0", datatype: "FP64", shape: [1, 4], data: [6.7, 3.0, 5.2, 2.3] }],
  });
  assert.equal(status, 200);
  assert.equal(body.model_name, "x");
  assert.deepEqual(body.outputs[0].data, [2]);
});

Deno.test("max_concurrency queues requests and max_queue_size refuses the excess with 503", async () => {
  const { SlowModel } = await import(fixture("runtimes", "behaviours.ts"));
  SlowModel.reset();
  await using dir = await withTmpDir();
  await writeModel(dir.path, "slow", {
    implementation: RUNTIMES.behaviours("SlowModel"),
    max_concurrency: 1,
    max_queue_size: 1,
  });
  await using srv = await startServer(dir.path);
  const first = postJson(`${srv.url}/v2/models/slow/infer`, ONE);
  const second = postJson(`${srv.url}/v2/models/slow/infer`, ONE);
  while (SlowModel.started < 1) await new Promise((r) => setTimeout(r, 5));
  const third = await postJson(`${srv.url}/v2/models/slow/infer`, ONE);
  assert.equal(third.status, 503);
  assert.equal(third.body.error, "Model slow is overloaded: 1 requests running and 1 queued");
  assert.equal(SlowModel.started, 1, "the queued request waits for the slot");
  SlowModel.release();
  while (SlowModel.started < 2) await new Promise((r) => setTimeout(r, 5));
  SlowModel.release();
  assert.equal((await first).status, 200);
  assert.equal((await second).status, 200);
});

Deno.test("a client that disconnects while queued frees its place at once (REST and gRPC)", async (t) => {
  const { SlowModel } = await import(fixture("runtimes", "behaviours.ts"));
  SlowModel.reset();
  await using dir = await withTmpDir();
  await writeModel(dir.path, "slow", {
    implementation: RUNTIMES.behaviours("SlowModel"),
    max_concurrency: 1,
    max_queue_size: 1,
  });
  // Whatever happens, predictions stuck behind a failed step are let go at teardown.
  let unstick: ReturnType<typeof setInterval> | undefined;
  using _unstick = { [Symbol.dispose]: () => clearInterval(unstick) };
  await using srv = await startServer(dir.path);
  try {
    await runSteps();
  } finally {
    unstick = setInterval(() => SlowModel.release(), 10);
  }
  async function runSteps(): Promise<void> {
    const first = postJson(`${srv.url}/v2/models/slow/infer`, ONE);
    await waitFor(() => SlowModel.started >= 1);
    /** The one queue place is free again: a request fits in (it is not refused with 503). */
    const queueHasRoom = async (): Promise<void> => {
      const waiting = postJson(`${srv.url}/v2/models/slow/infer`, ONE);
      const outcome = await Promise.race([
        waiting.then((r) => r.status),
        new Promise((resolve) => setTimeout(() => resolve("queued"), 100)),
      ]);
      assert.equal(outcome, "queued", "the place left by the client was given to the next");
      SlowModel.release(); // ends the running one; the queued one starts
      await waitFor(() => SlowModel.started >= 2);
      SlowModel.release();
      assert.equal((await waiting).status, 200);
    };
    await t.step("REST: the fetch is aborted", async () => {
      const client = new AbortController();
      const leaving = fetch(`${srv.url}/v2/models/slow/infer`, {
        method: "POST",
        body: JSON.stringify(ONE),
        signal: client.signal,
      }).catch((err) => err);
      await new Promise((r) => setTimeout(r, 50)); // it is queued
      client.abort();
      assert.equal((await leaving).name, "AbortError");
      await new Promise((r) => setTimeout(r, 20));
      await queueHasRoom();
      assert.equal((await first).status, 200);
    });
    await t.step("gRPC: the call is cancelled", async () => {
      SlowModel.reset();
      const client = inferenceClient(srv.server.grpcPort);
      try {
        const holding = call(client, "ModelInfer", {
          model_name: "slow",
          inputs: [{ name: "x", datatype: "INT32", shape: [1], contents: { int_contents: [7] } }],
        });
        await waitFor(() => SlowModel.started >= 1);
        const leaving = client.ModelInfer(
          {
            model_name: "slow",
            inputs: [{ name: "x", datatype: "INT32", shape: [1], contents: { int_contents: [7] } }],
          },
          () => {},
        );
        await new Promise((r) => setTimeout(r, 50));
        leaving.cancel();
        await new Promise((r) => setTimeout(r, 20));
        await queueHasRoom();
        assert.equal((await holding).error, undefined);
      } finally {
        client.close();
      }
    });
  }
});

Deno.test("inference_timeout answers 504 and the server keeps serving", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "sleepy", {
    implementation: RUNTIMES.behaviours("Sleeper"),
    parameters: { extra: { delay_ms: 300 } },
  });
  await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
  await using srv = await startServer(dir.path, { settings: { inference_timeout: 0.05 } });
  const slow = await postJson(`${srv.url}/v2/models/sleepy/infer`, ONE);
  assert.equal(slow.status, 504);
  assert.equal(slow.body.error, "Inference on model sleepy timed out after 0.05 s");
  assert.equal((await postJson(`${srv.url}/v2/models/echo/infer`, ONE)).status, 200);
  // The timed-out prediction (300 ms, started about 60 ms ago) still holds
  // the model: an unload waits for it to end.
  const unloading = performance.now();
  const unload = await fetch(`${srv.url}/v2/repository/models/sleepy/unload`, { method: "POST" });
  assert.equal(unload.status, 200);
  const waited = performance.now() - unloading;
  assert.ok(waited > 100, `the unload waited ${waited.toFixed(0)} ms for the running prediction`);
});

Deno.test("inference_timeout also bounds the wait for a max_concurrency slot", async () => {
  const { SlowModel } = await import(fixture("runtimes", "behaviours.ts"));
  SlowModel.reset();
  await using dir = await withTmpDir();
  await writeModel(dir.path, "stuck", {
    implementation: RUNTIMES.behaviours("SlowModel"),
    max_concurrency: 1,
  });
  await using srv = await startServer(dir.path, { settings: { inference_timeout: 0.05 } });
  try {
    // The first holds the only slot and never finishes; the second waits for it.
    const [first, second] = await Promise.all([
      postJson(`${srv.url}/v2/models/stuck/infer`, ONE),
      postJson(`${srv.url}/v2/models/stuck/infer`, ONE),
    ]);
    assert.deepEqual([first.status, second.status], [504, 504]);
    assert.equal(second.body.error, "Inference on model stuck timed out after 0.05 s");
    assert.equal(SlowModel.started, 1, "the queued request gave up without running");
  } finally {
    SlowModel.release(); // let the stuck prediction end so the server can stop
  }
});

Deno.test("CORS follows cors_settings", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
  await using srv = await startServer(dir.path, {
    settings: {
      cors_settings: {
        allow_origins: ["https://app.example"],
        allow_methods: ["GET", "POST"],
        allow_headers: ["content-type"],
        expose_headers: ["x-echo-model"],
      },
    },
  });
  const preflight = await fetch(`${srv.url}/v2/models/echo/infer`, {
    method: "OPTIONS",
    headers: {
      origin: "https://app.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    },
  });
  assert.equal(preflight.status, 200);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(preflight.headers.get("access-control-allow-methods"), "GET, POST");
  assert.equal(preflight.headers.get("access-control-max-age"), "600");
  const denied = await fetch(`${srv.url}/v2/models/echo/infer`, {
    method: "OPTIONS",
    headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
  });
  assert.equal(denied.status, 400);
  assert.deepEqual(await denied.json(), { error: "Disallowed CORS origin" });
  const actual = await postJson(`${srv.url}/v2/models/echo/infer`, ONE, {
    origin: "https://app.example",
  });
  assert.equal(actual.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(actual.headers.get("access-control-expose-headers"), "x-echo-model");
  const other = await postJson(`${srv.url}/v2/models/echo/infer`, ONE, {
    origin: "https://evil.example",
  });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
});

Deno.test("root_path is stripped before routing", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
  await using srv = await startServer(dir.path, { settings: { root_path: "/serving/" } });
  assert.equal((await fetch(`${srv.url}/serving/v2/health/live`)).status, 200);
  assert.equal((await postJson(`${srv.url}/serving/v2/models/echo/infer`, ONE)).status, 200);
  assert.equal((await fetch(`${srv.url}/v2/health/live`)).status, 200);
  assert.equal((await fetch(`${srv.url}/v2/health/live/`)).status, 200, "trailing slash ignored");
});
