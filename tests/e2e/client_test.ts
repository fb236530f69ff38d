import assert from "node:assert/strict";
import { InferenceClient, InferenceClientError, type InferenceRequest } from "../../src/mod.ts";
import { RUNTIMES, startServer, withTmpDir, writeModel } from "../_helpers.ts";

type Transport = "rest" | "grpc";
const MODES: { transport: Transport; binary: boolean }[] = [
  { transport: "rest", binary: false },
  { transport: "rest", binary: true },
  { transport: "grpc", binary: false },
  { transport: "grpc", binary: true },
];

async function withServer(
  run: (urls: Record<Transport, string>) => Promise<void>,
): Promise<void> {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "echo", { name: "echo", implementation: RUNTIMES.echo });
  await writeModel(dir.path, "streamer", {
    name: "streamer",
    implementation: RUNTIMES.behaviours("Streamer"),
  });
  await writeModel(dir.path, "sleeper", {
    name: "sleeper",
    implementation: RUNTIMES.behaviours("Sleeper"),
    parameters: { extra: { delay_ms: 300 } },
  });
  await writeModel(dir.path, "flaky", {
    name: "flaky",
    implementation: RUNTIMES.behaviours("Flaky"),
  });
  await using srv = await startServer(dir.path);
  await run({ rest: srv.url, grpc: `grpc://127.0.0.1:${srv.server.grpcPort}` });
}

const decoder = new TextDecoder();
const text = (item: unknown) =>
  typeof item === "string" ? item : decoder.decode(item as Uint8Array);

const REQUEST: InferenceRequest = {
  id: "r-1",
  inputs: [
    { name: "f32", datatype: "FP32", shape: [2, 2], data: new Float32Array([1.5, -2, NaN, 4]) },
    { name: "i64", datatype: "INT64", shape: [2], data: new BigInt64Array([2n ** 60n + 1n, -3n]) },
    { name: "flag", datatype: "BOOL", shape: [3], data: new Uint8Array([1, 0, 1]) },
    { name: "text", datatype: "BYTES", shape: [2], data: ["héllo", "wörld"] },
    { name: "half", datatype: "FP16", shape: [2], data: new Float16Array([0.5, 2]) },
  ],
};

Deno.test("InferenceClient answers health, metadata and typed inference on REST and gRPC", async (t) => {
  await withServer(async (urls) => {
    for (const { transport, binary } of MODES) {
      await t.step(`${transport}${binary ? " binary" : ""}`, async () => {
        using client = new InferenceClient({ url: urls[transport], headers: { "X-Tag": "t1" } });
        assert.equal(client.transport, transport);
        assert.equal(await client.live(), true);
        assert.equal(await client.ready(), true);
        assert.equal(await client.modelReady("echo"), true);
        assert.equal((await client.metadata()).name, "mlserver");
        assert.equal((await client.modelMetadata("echo")).name, "echo");
        const response = await client.infer("echo", REQUEST, { binary });
        assert.equal(response.model_name, "echo");
        assert.equal(response.id, "r-1");
        assert.equal(response.parameters?.seen_tag, "t1");
        const [f32, i64, flag, bytes, half] = response.outputs;
        assert.ok(f32!.data instanceof Float32Array);
        assert.deepEqual(f32!.shape, [2, 2]);
        assert.deepEqual(Array.from(f32!.data), [1.5, -2, NaN, 4]);
        assert.ok(i64!.data instanceof BigInt64Array);
        assert.deepEqual(Array.from(i64!.data), [2n ** 60n + 1n, -3n]);
        assert.deepEqual(Array.from(flag!.data as Uint8Array), [1, 0, 1]);
        assert.deepEqual((bytes!.data as unknown[]).map(text), ["héllo", "wörld"]);
        assert.ok(half!.data instanceof Float16Array);
        assert.deepEqual(Array.from(half!.data), [0.5, 2]);
        const index = await client.repositoryIndex({ ready: true });
        assert.deepEqual(index.map((m) => m.name).sort(), ["echo", "flaky", "sleeper", "streamer"]);
      });
    }
  });
});

Deno.test("InferenceClient reports server errors with status or code, and does not retry them", async (t) => {
  await withServer(async (urls) => {
    for (const transport of ["rest", "grpc"] as const) {
      await t.step(transport, async () => {
        let retried = 0;
        using client = new InferenceClient({
          url: urls[transport],
          retries: 3,
          retryDelay: 1,
          onRetry: () => retried++,
        });
        const err = await client.infer("nope", REQUEST).catch((e) => e);
        assert.ok(err instanceof InferenceClientError, String(err));
        assert.equal(err.message, "Model nope not found");
        if (transport === "rest") assert.equal(err.status, 404);
        else assert.equal(err.grpcCode, 5);
        assert.equal(err.retryable, false);
        assert.equal(retried, 0);
        await assert.rejects(client.modelReady("nope"), { name: "InferenceClientError" });
      });
    }
  });
});

Deno.test("InferenceClient retries transient failures and times out slow calls", async (t) => {
  await withServer(async (urls) => {
    for (const transport of ["rest", "grpc"] as const) {
      await t.step(`${transport}: a 503 / UNAVAILABLE is retried until it passes`, async () => {
        const retries: number[] = [];
        using client = new InferenceClient({
          url: urls[transport],
          retries: 2,
          retryDelay: 1,
          onRetry: ({ error }) => retries.push(error.status ?? error.grpcCode!),
        });
        // Ids Flaky fails once (fnv1a % 10 === 0), one per transport: the model is shared.
        const id = transport === "rest" ? "r-17" : "r-19";
        const response = await client.infer("flaky", { ...REQUEST, id });
        assert.equal(response.outputs.length, 5);
        assert.deepEqual(retries, [transport === "rest" ? 503 : 14]);
      });
      await t.step(`${transport}: a call past its timeout fails as retryable`, async () => {
        using client = new InferenceClient({ url: urls[transport], timeout: 50 });
        const err = await client.infer("sleeper", REQUEST).catch((e) => e);
        assert.ok(err instanceof InferenceClientError, String(err));
        assert.match(err.message, /timed out after 50 ms/);
        assert.equal(err.retryable, true);
      });
      await t.step(`${transport}: the caller's signal ends the call with its reason`, async () => {
        using client = new InferenceClient({ url: urls[transport] });
        const controller = new AbortController();
        const pending = client.infer("sleeper", REQUEST, { signal: controller.signal });
        controller.abort(new Error("stop"));
        await assert.rejects(pending, { message: "stop" });
      });
    }
  });
});

Deno.test("InferenceClient streams responses over server-sent events and ModelStreamInfer", async (t) => {
  await withServer(async (urls) => {
    for (const transport of ["rest", "grpc"] as const) {
      await t.step(transport, async () => {
        using client = new InferenceClient({ url: urls[transport] });
        const tokens: number[] = [];
        const request: InferenceRequest = {
          inputs: [{ name: "x", datatype: "INT32", shape: [3], data: new Int32Array([7, 8, 9]) }],
        };
        for await (const response of client.inferStream("streamer", request)) {
          tokens.push(...(response.outputs[0]!.data as Int32Array));
        }
        assert.deepEqual(tokens, [7, 8, 9]);
        const failing = client.inferStream("streamer", {
          inputs: [{ name: "x", datatype: "INT32", shape: [2], data: new Int32Array([1, -1]) }],
        });
        const seen: number[] = [];
        const err = await (async () => {
          for await (const response of failing) {
            seen.push(...(response.outputs[0]!.data as Int32Array));
          }
        })().catch((e) => e);
        assert.deepEqual(seen, [1]);
        assert.ok(err instanceof InferenceClientError, String(err));
        assert.match(err.message, /negative value at 1/);
        await assert.rejects(
          (async () => {
            for await (const _ of client.inferStream("echo", request)) { /* none */ }
          })(),
          { name: "InferenceClientError", message: "Model echo does not support streaming" },
        );
      });
    }
    await t.step("grpc: a stream of requests on one call", async () => {
      using client = new InferenceClient({ url: urls.grpc });
      async function* requests(): AsyncGenerator<InferenceRequest> {
        for (const value of [1, 2, 3]) {
          yield {
            inputs: [{ name: "x", datatype: "INT32", shape: [1], data: new Int32Array([value]) }],
          };
        }
      }
      const tokens: number[] = [];
      for await (const response of client.inferStream("streamer", requests())) {
        tokens.push(...(response.outputs[0]!.data as Int32Array));
      }
      assert.deepEqual(tokens, [1, 2, 3]);
    });
  });
});

Deno.test("InferenceClient fails without an answer as retryable when nothing listens", async (t) => {
  for (const url of ["http://127.0.0.1:9", "grpc://127.0.0.1:9"]) {
    await t.step(url, async () => {
      using client = new InferenceClient({ url, timeout: 5_000 });
      const err = await client.ready().catch((e) => e);
      assert.ok(err instanceof InferenceClientError, String(err));
      assert.equal(err.retryable, true);
      assert.match(
        err.message,
        /Cannot reach 127\.0\.0\.1:9|Cannot reach http:\/\/127\.0\.0\.1:9|timed out/,
      );
    });
  }
});
