/**
 * The gRPC API end to end: a real server on 127.0.0.1 port 0 and real grpc-js
 * clients built from our proto/ files with proto-loader.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { ProtoReader } from "../../src/grpc/wire.ts";
import {
  call,
  callRaw,
  grpc,
  inferenceClient,
  legacyRepositoryClient,
  LOADER_OPTIONS,
} from "../_grpc.ts";
import { RUNTIMES, startServer, withTmpDir, writeModel } from "../_helpers.ts";

const Status = grpc.status;

async function modelsFolder(root: string): Promise<void> {
  await writeModel(root, "echo", { implementation: RUNTIMES.echo });
  await writeModel(root, "echo-v-1", {
    name: "versioned",
    implementation: RUNTIMES.echo,
    parameters: { version: "1" },
  });
  await writeModel(root, "throws", { implementation: RUNTIMES.behaviours("PredictThrows") });
  await writeModel(root, "streamer", { implementation: RUNTIMES.behaviours("Streamer") });
  await writeModel(root, "load-false", { implementation: RUNTIMES.behaviours("LoadFalse") });
  await writeModel(root, "doubler", { implementation: RUNTIMES.behaviours("Doubler") });
}

const int32 = (name: string, values: number[]) => ({
  name,
  datatype: "INT32",
  shape: [String(values.length)],
  contents: { int_contents: values },
});

Deno.test("gRPC API serves every RPC of both services", async (t) => {
  await using dir = await withTmpDir();
  await modelsFolder(dir.path);
  await using srv = await startServer(dir.path, {
    settings: { grpc_max_message_length: 1024 * 1024 },
  });
  const port = srv.server.grpcPort;
  const client = inferenceClient(port);
  try {
    await t.step("ServerLive and ServerReady", async () => {
      assert.deepEqual((await call(client, "ServerLive", {})).response, { live: true });
      assert.deepEqual(
        (await call(client, "ServerReady", {})).response,
        {},
        "false: load-false failed at startup",
      );
    });

    await t.step("ServerMetadata has a non-empty version", async () => {
      const { response } = await call(client, "ServerMetadata", {});
      assert.equal(response.name, "mlserver");
      assert.match(response.version, /^\d+\.\d+\.\d+/);
      assert.ok(response.extensions.includes("model_repository"));
    });

    await t.step("ModelReady: true, false, and NOT_FOUND for unknown models", async () => {
      assert.deepEqual((await call(client, "ModelReady", { name: "echo" })).response, {
        ready: true,
      });
      assert.deepEqual(
        (await call(client, "ModelReady", { name: "versioned", version: "1" })).response,
        { ready: true },
      );
      assert.deepEqual((await call(client, "ModelReady", { name: "load-false" })).response, {});
      const unknown = await call(client, "ModelReady", { name: "ghost" });
      assert.equal(unknown.error?.code, Status.NOT_FOUND);
      assert.equal(unknown.error?.details, "Model ghost not found");
      const version = await call(client, "ModelReady", { name: "versioned", version: "9" });
      assert.equal(version.error?.details, "Model versioned with version 9 not found");
    });

    await t.step("ModelMetadata", async () => {
      const { response } = await call(client, "ModelMetadata", { name: "echo" });
      assert.equal(response.name, "echo");
      assert.equal(
        (await call(client, "ModelMetadata", { name: "ghost" })).error?.code,
        Status.NOT_FOUND,
      );
    });

    await t.step("ModelInfer with typed contents answers typed, echoing name and id", async () => {
      const { response } = await call(client, "ModelInfer", {
        model_name: "echo",
        id: "req-7",
        inputs: [
          int32("a", [1, -2]),
          {
            name: "b",
            datatype: "FP32",
            shape: ["1", "2"],
            contents: { fp32_contents: [0.5, 1.5] },
          },
          {
            name: "c",
            datatype: "INT64",
            shape: ["1"],
            contents: { int64_contents: ["9007199254740993"] },
          },
          {
            name: "d",
            datatype: "BYTES",
            shape: ["1"],
            contents: { bytes_contents: [Buffer.from("hi")] },
          },
          { name: "e", datatype: "BOOL", shape: ["1"], contents: { bool_contents: [true] } },
        ],
      });
      assert.equal(response.model_name, "echo");
      assert.equal(response.id, "req-7");
      assert.equal(response.raw_output_contents, undefined);
      const [a, b, c, d, e] = response.outputs;
      assert.deepEqual(a.contents.int_contents, [1, -2]);
      assert.deepEqual(b.contents.fp32_contents, [0.5, 1.5]);
      assert.deepEqual(b.shape, ["1", "2"]);
      assert.deepEqual(c.contents.int64_contents, ["9007199254740993"]);
      assert.equal(Buffer.from(d.contents.bytes_contents[0]).toString(), "hi");
      assert.deepEqual(e.contents.bool_contents, [true]);
    });

    await t.step("ModelInfer without an id gets a fresh UUID, as REST does", async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 2; i++) {
        const { response } = await call(client, "ModelInfer", {
          model_name: "echo",
          inputs: [int32("x", [1])],
        });
        assert.match(
          response.id,
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        ids.add(response.id);
      }
      assert.equal(ids.size, 2, "a new id per request");
    });

    await t.step("ModelInfer with raw contents answers raw", async () => {
      const values = new Float32Array([1, 2, 3]);
      const { response } = await call(client, "ModelInfer", {
        model_name: "echo",
        inputs: [{ name: "x", datatype: "FP32", shape: ["3"] }],
        raw_input_contents: [Buffer.from(values.buffer)],
      });
      assert.equal(response.outputs[0].contents, undefined);
      assert.deepEqual(
        new Float32Array(new Uint8Array(response.raw_output_contents[0]).buffer),
        values,
      );
    });

    await t.step("metadata reaches the model; response headers come back as trailers", async () => {
      const metadata = new grpc.Metadata();
      metadata.set("x-tag", "abc");
      const { response, trailer } = await call(client, "ModelInfer", {
        model_name: "echo",
        inputs: [int32("a", [1])],
      }, metadata);
      assert.equal(response.parameters.seen_tag.string_param, "abc");
      assert.equal(response.parameters.seen_headers, undefined, "objects are not InferParameters");
      assert.equal(response.parameters.headers, undefined, "headers travel as trailers");
      assert.deepEqual(trailer?.get("x-echo-model"), ["echo"]);
    });

    await t.step("mm-model-id stands in for an empty model_name (ModelMesh)", async () => {
      const metadata = new grpc.Metadata();
      metadata.set("mm-model-id", "echo");
      const { response, error } = await call(
        client,
        "ModelInfer",
        { inputs: [int32("a", [1])] },
        metadata,
      );
      assert.equal(error, undefined);
      assert.equal(response.model_name, "echo");
    });

    const errors: { name: string; request: unknown; code: number; details: RegExp | string }[] = [
      {
        name: "unknown model",
        request: { model_name: "ghost", inputs: [] },
        code: Status.NOT_FOUND,
        details: "Model ghost not found",
      },
      {
        name: "unknown version",
        request: { model_name: "versioned", model_version: "4", inputs: [] },
        code: Status.NOT_FOUND,
        details: "Model versioned with version 4 not found",
      },
      {
        name: "not ready",
        request: { model_name: "load-false", inputs: [] },
        code: Status.INVALID_ARGUMENT,
        details: "Model load-false is not ready yet.",
      },
      {
        name: "shape mismatch",
        request: { model_name: "echo", inputs: [{ ...int32("a", [1]), shape: ["3"] }] },
        code: Status.INVALID_ARGUMENT,
        details: "Input 'a': contents have 1 elements, shape needs 3",
      },
      {
        name: "wrong datatype",
        request: { model_name: "echo", inputs: [{ ...int32("a", [1]), datatype: "FP32" }] },
        code: Status.INVALID_ARGUMENT,
        details: "Input 'a': FP32 data belongs in fp32_contents, got int_contents",
      },
      {
        name: "raw size mismatch",
        request: {
          model_name: "echo",
          inputs: [{ name: "x", datatype: "FP64", shape: ["2"] }],
          raw_input_contents: [Buffer.alloc(12)],
        },
        code: Status.INVALID_ARGUMENT,
        details: "Input 'x': raw data has 12 bytes, shape [2] of FP64 needs 16",
      },
      {
        name: "runtime bug",
        request: { model_name: "throws", inputs: [] },
        code: Status.INTERNAL,
        details: "TypeError: cannot read properties of undefined",
      },
      {
        name: "InferenceError",
        request: {
          model_name: "throws",
          parameters: { kind: { string_param: "inference" } },
          inputs: [],
        },
        code: Status.INVALID_ARGUMENT,
        details: "feature 'age' must be positive",
      },
      {
        name: "oversized message",
        request: {
          model_name: "echo",
          inputs: [{ name: "x", datatype: "FP32", shape: ["400000"] }],
          raw_input_contents: [Buffer.alloc(1_600_000)],
        },
        code: Status.RESOURCE_EXHAUSTED,
        details: /larger than max/,
      },
    ];
    for (const e of errors) {
      await t.step(`ModelInfer error: ${e.name}`, async () => {
        const { error } = await call(client, "ModelInfer", e.request);
        assert.equal(error?.code, e.code, `${error?.details}`);
        if (typeof e.details === "string") assert.equal(error?.details, e.details);
        else assert.match(error?.details ?? "", e.details);
      });
    }

    await t.step(
      "malformed protobuf is INVALID_ARGUMENT, never NOT_FOUND or INTERNAL",
      async () => {
        const { error } = await callRaw(
          port,
          "/inference.GRPCInferenceService/ModelInfer",
          new Uint8Array([0x0a, 0x7f, 0x41]),
        );
        assert.equal(error?.code, Status.INVALID_ARGUMENT);
        assert.match(
          error?.details ?? "",
          /^Malformed protobuf message: field of 127 bytes runs past the end/,
        );
      },
    );

    await t.step("grpc_max_message_length applies to responses too", async () => {
      const fits = await call(client, "ModelInfer", {
        model_name: "echo",
        inputs: [{ name: "x", datatype: "UINT8", shape: ["800000"] }],
        raw_input_contents: [Buffer.alloc(800_000)],
      });
      assert.equal(fits.error, undefined, "800 kB fits in 1 MiB each way");
      const tooBig = await call(client, "ModelInfer", {
        model_name: "doubler",
        inputs: [{ name: "x", datatype: "UINT8", shape: ["600000"] }],
        raw_input_contents: [Buffer.alloc(600_000)],
      });
      assert.equal(tooBig.error?.code, Status.RESOURCE_EXHAUSTED, `${tooBig.error?.details}`);
      assert.equal(
        (await call(client, "ServerLive", {})).response.live,
        true,
        "and the server keeps serving",
      );
    });

    await t.step("repository: index, unload, load", async () => {
      const index = (await call(client, "RepositoryIndex", {})).response.models;
      assert.deepEqual(index.find((m: { name: string }) => m.name === "echo"), {
        name: "echo",
        state: "READY",
      });
      assert.match(
        index.find((m: { name: string }) => m.name === "load-false").reason,
        /load\(\) returned false/,
      );
      const ready = (await call(client, "RepositoryIndex", { ready: true })).response.models;
      assert.ok(ready.every((m: { state: string }) => m.state === "READY"));
      assert.deepEqual(
        (await call(client, "RepositoryModelUnload", { model_name: "echo" })).response,
        {},
      );
      assert.equal(
        (await call(client, "ModelReady", { name: "echo" })).error?.code,
        Status.NOT_FOUND,
      );
      assert.deepEqual(
        (await call(client, "RepositoryModelLoad", { model_name: "echo" })).response,
        {},
      );
      assert.deepEqual((await call(client, "ModelReady", { name: "echo" })).response, {
        ready: true,
      });
      assert.equal(
        (await call(client, "RepositoryModelLoad", { model_name: "ghost" })).error?.code,
        Status.NOT_FOUND,
      );
      assert.equal(
        (await call(client, "RepositoryModelUnload", { model_name: "ghost" })).error?.code,
        Status.NOT_FOUND,
      );
    });

    await t.step("the older ModelRepositoryService works the same", async () => {
      const legacy = legacyRepositoryClient(port);
      try {
        const models = (await call(legacy, "RepositoryIndex", { ready: true })).response.models;
        assert.ok(models.some((m: { name: string }) => m.name === "echo"));
        assert.deepEqual(
          (await call(legacy, "RepositoryModelUnload", { model_name: "echo" })).response,
          {},
        );
        assert.deepEqual(
          (await call(legacy, "RepositoryModelLoad", { model_name: "echo" })).response,
          {},
        );
        assert.equal(
          (await call(legacy, "RepositoryModelLoad", { model_name: "ghost" })).error?.details,
          "Model ghost not found",
        );
      } finally {
        legacy.close();
      }
    });

    await t.step("ModelStreamInfer streams, and reports errors as a status", async () => {
      const stream = client.ModelStreamInfer();
      const tokens: number[] = [];
      const done = new Promise<void>((resolve, reject) => {
        stream.on(
          "data",
          (r: { outputs: { contents: { int_contents: number[] } }[] }) =>
            tokens.push(r.outputs[0]!.contents.int_contents[0]!),
        );
        stream.on("end", resolve);
        stream.on("error", reject);
      });
      stream.write({ model_name: "streamer", inputs: [int32("x", [4, 5])] });
      stream.write({ model_name: "streamer", inputs: [int32("x", [6])] });
      stream.end();
      await done;
      assert.deepEqual(tokens, [4, 5, 6]);
      for (
        const [model, code] of [["echo", Status.UNIMPLEMENTED], [
          "ghost",
          Status.NOT_FOUND,
        ]] as const
      ) {
        const failing = client.ModelStreamInfer();
        const status = new Promise<grpc.ServiceError>((resolve) => failing.on("error", resolve));
        failing.on("data", () => {});
        failing.write({ model_name: model, inputs: [int32("x", [1])] });
        failing.end();
        assert.equal((await status).code, code);
      }
      const midway = client.ModelStreamInfer();
      const got: unknown[] = [];
      midway.on("data", (r: unknown) => got.push(r));
      const failed = new Promise<grpc.ServiceError>((resolve) => midway.on("error", resolve));
      midway.write({ model_name: "streamer", inputs: [int32("x", [1, -1])] });
      midway.end();
      const err = await failed;
      assert.equal(err.code, Status.INVALID_ARGUMENT);
      assert.equal(err.details, "negative value at 1");
      assert.equal(got.length, 1);
    });
  } finally {
    client.close();
  }
});

Deno.test("ModelStreamInfer: every request keeps the first id; trailers carry the last headers", async (t) => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "counter", { implementation: RUNTIMES.behaviours("StreamCounter") });
  await using srv = await startServer(dir.path);
  const client = inferenceClient(srv.server.grpcPort);
  try {
    await t.step(
      "every request keeps the first one's id; trailers carry the last headers",
      async () => {
        const stream = client.ModelStreamInfer();
        const ids: string[] = [];
        // deno-lint-ignore no-explicit-any
        stream.on("data", (r: any) => ids.push(r.parameters.request_id.string_param));
        const trailer = new Promise<grpc.Metadata>((resolve) =>
          stream.on("status", (s: grpc.StatusObject) => resolve(s.metadata))
        );
        const ended = new Promise((resolve) => stream.on("end", resolve));
        for (const id of ["first", "second", "third"]) {
          stream.write({ model_name: "counter", id, inputs: [] });
        }
        stream.end();
        await ended;
        assert.deepEqual(ids, ["first", "first", "first"]);
        assert.deepEqual((await trailer).get("x-seen"), ["3"], "the last response's headers");
      },
    );
  } finally {
    client.close();
  }
});

Deno.test("grpc.health.v1.Health follows readiness", async () => {
  await using dir = await withTmpDir();
  await using srv = await startServer(dir.path); // no model: not ready
  // deno-lint-ignore no-explicit-any
  const pkg = grpc.loadPackageDefinition(loadSync(healthProtoPath, LOADER_OPTIONS)) as any;
  const health = new pkg.grpc.health.v1.Health(
    `127.0.0.1:${srv.server.grpcPort}`,
    grpc.credentials.createInsecure(),
  );
  try {
    assert.equal((await call(health, "Check", { service: "" })).response.status, "NOT_SERVING");
    await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
    await srv.server.repositoryHandlers.load("echo");
    // None found at startup: ready once one model is loaded and every registered model is.
    assert.equal(
      (await call(health, "Check", { service: "inference.GRPCInferenceService" })).response.status,
      "SERVING",
    );
  } finally {
    health.close();
  }
  await using dir2 = await withTmpDir();
  await writeModel(dir2.path, "echo", { implementation: RUNTIMES.echo });
  await using ready = await startServer(dir2.path);
  const health2 = new pkg.grpc.health.v1.Health(
    `127.0.0.1:${ready.server.grpcPort}`,
    grpc.credentials.createInsecure(),
  );
  try {
    assert.equal((await call(health2, "Check", { service: "" })).response.status, "SERVING");
    // A deliberate unload does not make the server unready (Kubernetes would read it as broken).
    await ready.server.repositoryHandlers.unload("echo");
    assert.equal(
      (await call(health2, "Check", { service: "inference.GRPCInferenceService" })).response.status,
      "SERVING",
    );
    // A model that fails to load does.
    await writeModel(dir2.path, "broken", { implementation: RUNTIMES.behaviours("LoadThrows") });
    await ready.server.repositoryHandlers.load("broken").catch(() => {});
    assert.equal((await call(health2, "Check", { service: "" })).response.status, "NOT_SERVING");
  } finally {
    health2.close();
  }
});

Deno.test("grpc.health.v1.Health: Watch hears each change, List lists, unknown services", async () => {
  await using dir = await withTmpDir();
  await using srv = await startServer(dir.path); // no model: not ready
  const port = srv.server.grpcPort;
  // deno-lint-ignore no-explicit-any
  const pkg = grpc.loadPackageDefinition(loadSync(healthProtoPath, LOADER_OPTIONS)) as any;
  const health = new pkg.grpc.health.v1.Health(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
  try {
    const heard: string[] = [];
    const watch = health.Watch({ service: "inference.GRPCInferenceService" });
    const unknown = health.Watch({ service: "nobody" });
    const unknownHeard = new Promise<string>((resolve) =>
      unknown.once("data", (m: { status: string }) => resolve(m.status))
    );
    unknown.on("error", () => {});
    const serving = new Promise<void>((resolve) => {
      watch.on("data", (message: { status: string }) => {
        heard.push(message.status);
        if (message.status === "SERVING") resolve();
      });
    });
    watch.on("error", () => {});
    assert.equal(await unknownHeard, "SERVICE_UNKNOWN");
    await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
    await srv.server.repositoryHandlers.load("echo");
    await serving;
    assert.deepEqual(heard, ["NOT_SERVING", "SERVING"]);
    watch.cancel();
    unknown.cancel();

    const listed = await call(health, "List", {});
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(listed.response.statuses as Record<string, { status: string }>)
          .map(([name, { status }]) => [name, status]),
      ),
      { "": "SERVING", "inference.GRPCInferenceService": "SERVING" },
    );
    const missing = await call(health, "Check", { service: "nobody" });
    assert.equal(missing.error?.code, grpc.status.NOT_FOUND);
    const malformed = await callRaw(
      port,
      "/grpc.health.v1.Health/Check",
      new Uint8Array([0x0a, 5]),
    );
    assert.equal(malformed.error?.code, grpc.status.INVALID_ARGUMENT);
  } finally {
    health.close();
  }
});

Deno.test("server reflection lists the services and describes them", async () => {
  await using dir = await withTmpDir();
  await using srv = await startServer(dir.path);
  const client = new grpc.Client(
    `127.0.0.1:${srv.server.grpcPort}`,
    grpc.credentials.createInsecure(),
  );
  const ask = (request: Uint8Array, version = "v1") =>
    new Promise<Uint8Array>((resolve, reject) => {
      const stream = client.makeBidiStreamRequest(
        `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
        (v: Uint8Array) => Buffer.from(v),
        (v: Buffer) => new Uint8Array(v),
      );
      stream.on("data", resolve);
      stream.on("error", reject);
      stream.write(request);
      stream.end();
    });
  try {
    // list_services = 7 (an empty string)
    const listed = await ask(new Uint8Array([0x3a, 0x00]));
    const names: string[] = [];
    const reader = new ProtoReader(listed);
    while (!reader.done) {
      const tag = reader.tag();
      if (tag >>> 3 !== 6) {
        reader.skip(tag & 7);
        continue;
      }
      const [start, end] = reader.span();
      const list = new ProtoReader(listed, start, end);
      while (!list.done) {
        list.tag();
        const [s, e] = list.span();
        const service = new ProtoReader(listed, s, e);
        service.tag();
        names.push(service.string());
      }
    }
    for (
      const name of [
        "inference.GRPCInferenceService",
        "inference.model_repository.ModelRepositoryService",
        "grpc.health.v1.Health",
      ]
    ) {
      assert.ok(names.includes(name), `${name} in ${names}`);
    }
    // file_containing_symbol = 4
    const symbol = new TextEncoder().encode("inference.GRPCInferenceService");
    const described = await ask(new Uint8Array([0x22, symbol.length, ...symbol]));
    const text = new TextDecoder("latin1").decode(described);
    assert.ok(text.includes("ModelInfer") && text.includes("raw_input_contents"));
    // Older tools ask v1alpha; it answers from the same index.
    const alpha = await ask(new Uint8Array([0x22, symbol.length, ...symbol]), "v1alpha");
    assert.ok(new TextDecoder("latin1").decode(alpha).includes("raw_input_contents"));
  } finally {
    client.close();
  }
});
