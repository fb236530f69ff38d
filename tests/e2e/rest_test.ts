/**
 * The REST API end to end: a real server on 127.0.0.1 port 0, real fetch
 * requests, real runtimes loaded from disk.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  fp32Input,
  getJson,
  type Json,
  postJson,
  repoPath,
  RUNTIMES,
  startServer,
  withTmpDir,
  writeModel,
} from "../_helpers.ts";

const IRIS = {
  implementation: `${repoPath("examples/models/iris/custom_model.ts")}:CustomMLModel`,
  parameters: { uri: repoPath("examples/models/iris") },
};

async function modelsFolder(root: string): Promise<void> {
  await writeModel(root, "echo", { implementation: RUNTIMES.echo });
  await writeModel(root, "iris", { name: "iris", ...IRIS });
  await writeModel(root, "versioned-1", {
    name: "versioned",
    implementation: RUNTIMES.echo,
    parameters: { version: "1" },
  });
  await writeModel(root, "versioned-2", {
    name: "versioned",
    implementation: RUNTIMES.echo,
    parameters: { version: "2" },
  });
  await writeModel(root, "throws", { implementation: RUNTIMES.behaviours("PredictThrows") });
  await writeModel(root, "bad-output", { implementation: RUNTIMES.behaviours("BadOutput") });
  await writeModel(root, "load-throws", { implementation: RUNTIMES.behaviours("LoadThrows") });
  await writeModel(root, "load-false", { implementation: RUNTIMES.behaviours("LoadFalse") });
  await writeModel(root, "streamer", { implementation: RUNTIMES.behaviours("Streamer") });
  await writeModel(root, "no-impl", {});
}

Deno.test("REST API serves the V2 protocol", async (t) => {
  await using dir = await withTmpDir();
  await modelsFolder(dir.path);
  await using srv = await startServer(dir.path, { settings: { max_request_size: 64 * 1024 } });
  const url = srv.url;

  await t.step("GET /v2/health/live answers 200 with an empty body", async () => {
    const response = await fetch(`${url}/v2/health/live`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "");
  });

  await t.step("GET /v2/health/ready is 400 while a startup model failed", async () => {
    const response = await fetch(`${url}/v2/health/ready`);
    assert.equal(response.status, 400);
    assert.equal(await response.text(), "");
  });

  await t.step("GET /v2 gives server metadata", async () => {
    const { status, body } = await getJson(`${url}/v2`);
    assert.equal(status, 200);
    assert.equal(body.name, "mlserver");
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.ok(body.extensions.includes("model_repository"));
  });

  await t.step("GET /v2/models/{m} gives model metadata from settings", async () => {
    const { status, body } = await getJson(`${url}/v2/models/echo`);
    assert.equal(status, 200);
    assert.deepEqual(body, { name: "echo", versions: [], platform: "", inputs: [], outputs: [] });
    const versioned = await getJson(`${url}/v2/models/versioned/versions/1`);
    assert.equal(versioned.status, 200);
  });

  await t.step("GET .../ready answers 200, 400 (failed) or 404 (unknown)", async () => {
    for (
      const [path, status] of [
        ["/v2/models/echo/ready", 200],
        ["/v2/models/versioned/versions/2/ready", 200],
        ["/v2/models/load-throws/ready", 400],
        ["/v2/models/load-false/ready", 400],
      ] as const
    ) {
      const response = await fetch(url + path);
      assert.equal(response.status, status, path);
      assert.equal(await response.text(), "");
    }
    assert.deepEqual(await getJson(`${url}/v2/models/ghost/ready`), {
      status: 404,
      body: { error: "Model ghost not found" },
    });
    assert.deepEqual(await getJson(`${url}/v2/models/versioned/versions/9/ready`), {
      status: 404,
      body: { error: "Model versioned with version 9 not found" },
    });
  });

  await t.step(
    "POST .../infer echoes the id, the model name and computes real outputs",
    async () => {
      const rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]];
      const { status, body } = await postJson(`${url}/v2/models/iris/infer`, {
        id: "req-1",
        inputs: [fp32Input("input-0", [2, 4], rows)],
      });
      assert.equal(status, 200);
      assert.equal(body.id, "req-1");
      assert.equal(body.model_name, "iris");
      assert.equal(body.model_version, undefined);
      assert.deepEqual(body.outputs[0], {
        name: "predict",
        shape: [2, 1],
        datatype: "INT64",
        data: [0, 2],
      });
      assert.equal(body.outputs[1].shape.join(), "2,3");
    },
  );

  await t.step("POST .../infer generates a UUID id and takes flat or nested data", async () => {
    const flat = await postJson(`${url}/v2/models/echo/infer`, {
      inputs: [{ name: "x", datatype: "INT32", shape: [2, 2], data: [1, 2, 3, 4] }],
    });
    const nested = await postJson(`${url}/v2/models/echo/infer`, {
      inputs: [{ name: "x", datatype: "INT32", shape: [2, 2], data: [[1, 2], [3, 4]] }],
    });
    assert.match(
      flat.body.id,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.notEqual(flat.body.id, nested.body.id);
    assert.deepEqual(flat.body.outputs, nested.body.outputs);
    assert.deepEqual(flat.body.outputs[0].data, [1, 2, 3, 4]);
  });

  await t.step("POST .../infer round-trips every datatype", async () => {
    const inputs = [
      { name: "b", datatype: "BOOL", shape: [2], data: [true, false] },
      { name: "u8", datatype: "UINT8", shape: [1], data: [255] },
      { name: "u16", datatype: "UINT16", shape: [1], data: [65535] },
      { name: "u32", datatype: "UINT32", shape: [1], data: [4294967295] },
      { name: "u64", datatype: "UINT64", shape: [1], data: [12345] },
      { name: "i8", datatype: "INT8", shape: [1], data: [-128] },
      { name: "i16", datatype: "INT16", shape: [1], data: [-32768] },
      { name: "i32", datatype: "INT32", shape: [1], data: [-2147483648] },
      { name: "i64", datatype: "INT64", shape: [1], data: [-9007199254740991] },
      { name: "f16", datatype: "FP16", shape: [1], data: [0.5] },
      { name: "f32", datatype: "FP32", shape: [1], data: [0.25] },
      { name: "f64", datatype: "FP64", shape: [2], data: [0.1, null] },
      { name: "s", datatype: "BYTES", shape: [2], data: ["hé", ""] },
    ];
    const { status, body } = await postJson(`${url}/v2/models/echo/infer`, { inputs });
    assert.equal(status, 200);
    const outputs = Object.fromEntries(body.outputs.map((o: Json) => [o.name, o]));
    for (const input of inputs) {
      assert.equal(outputs[input.name].datatype, input.datatype);
      assert.deepEqual(outputs[input.name].shape, input.shape);
      assert.deepEqual(outputs[input.name].data, input.data, input.name);
    }
  });

  await t.step("POST .../generate is an alias of infer", async () => {
    const { status, body } = await postJson(`${url}/v2/models/versioned/versions/1/generate`, {
      inputs: [{ name: "x", datatype: "INT8", shape: [1], data: [3] }],
    });
    assert.equal(status, 200);
    assert.equal(body.model_name, "versioned");
    assert.equal(body.model_version, "1");
  });

  await t.step("the default version is the highest one", async () => {
    const { body } = await postJson(`${url}/v2/models/versioned/infer`, {
      inputs: [{ name: "x", datatype: "INT8", shape: [1], data: [3] }],
    });
    assert.equal(body.model_version, "2");
  });

  await t.step("HTTP headers reach the model and its response headers come back", async () => {
    const { status, headers, body } = await postJson(`${url}/v2/models/echo/infer`, {
      parameters: { headers: { "x-client-forged": "dropped" } },
      inputs: [{ name: "x", datatype: "INT8", shape: [1], data: [1] }],
    }, { "x-request-tag": "abc" });
    assert.equal(status, 200);
    assert.equal(headers.get("x-echo-model"), "echo");
    assert.equal(body.parameters.headers, undefined, "headers leave the body");
    assert.equal(body.parameters.seen_headers["x-request-tag"], "abc");
    assert.equal(
      body.parameters.seen_headers["x-client-forged"],
      undefined,
      "transport headers replace the client's",
    );
  });

  const errorCases: {
    name: string;
    path: string;
    body: unknown;
    status: number;
    error: RegExp | string;
  }[] = [
    { name: "malformed JSON", path: "echo", body: "{nope", status: 400, error: /^Invalid JSON: / },
    {
      name: "empty body",
      path: "echo",
      body: "",
      status: 400,
      error: "Invalid JSON: the body is empty",
    },
    {
      name: "inputs missing",
      path: "echo",
      body: {},
      status: 400,
      error: "Invalid inference request: inputs: required but missing",
    },
    {
      name: "wrong type",
      path: "echo",
      body: { inputs: [{ name: "x", datatype: "FP32", shape: "2", data: [] }] },
      status: 400,
      error: /^Invalid inference request: inputs\[0\]\.shape: /,
    },
    {
      name: "unknown datatype",
      path: "echo",
      body: { inputs: [{ name: "x", datatype: "FP8", shape: [1], data: [1] }] },
      status: 400,
      error: /inputs\[0\]\.datatype: unknown datatype "FP8"/,
    },
    {
      name: "negative dimension",
      path: "echo",
      body: { inputs: [{ name: "x", datatype: "FP32", shape: [-1], data: [] }] },
      status: 400,
      error: /inputs\[0\]\.shape\[0\]: expected a non-negative integer, got -1/,
    },
    {
      name: "count mismatch",
      path: "echo",
      body: { inputs: [fp32Input("x", [3], [1, 2])] },
      status: 400,
      error: "Input 'x': data has 2 elements, shape [3] needs 3",
    },
    {
      name: "a huge declared shape with one value (nothing is allocated for it)",
      path: "echo",
      body: { inputs: [{ name: "x", datatype: "FP32", shape: [1e12], data: [1] }] },
      status: 400,
      error: "Input 'x': data has 1 elements, shape [1000000000000] needs 1000000000000",
    },
    {
      name: "a huge declared shape with nested data",
      path: "echo",
      body: { inputs: [{ name: "x", datatype: "BYTES", shape: [1, 1e12], data: [["a"]] }] },
      status: 400,
      error: "Input 'x': data has 1 values at depth 1, shape [1,1000000000000] needs 1000000000000",
    },
    {
      name: "value out of range",
      path: "echo",
      body: { inputs: [{ name: "x", datatype: "UINT8", shape: [1], data: [300] }] },
      status: 400,
      error: "Input 'x': element 0 is 300, out of range for UINT8",
    },
    {
      name: "unknown model",
      path: "ghost",
      body: { inputs: [] },
      status: 404,
      error: "Model ghost not found",
    },
    {
      name: "unknown version",
      path: "versioned/versions/3",
      body: { inputs: [] },
      status: 404,
      error: "Model versioned with version 3 not found",
    },
    {
      name: "model whose load() threw",
      path: "load-throws",
      body: { inputs: [] },
      status: 400,
      error: "Model load-throws is not ready yet.",
    },
    {
      name: "model whose load() returned false",
      path: "load-false",
      body: { inputs: [] },
      status: 400,
      error: "Model load-false is not ready yet.",
    },
    {
      name: "runtime bug",
      path: "throws",
      body: { inputs: [] },
      status: 500,
      error: "TypeError: cannot read properties of undefined",
    },
    {
      name: "runtime throwing synchronously",
      path: "throws",
      body: { inputs: [], parameters: { kind: "sync" } },
      status: 500,
      error: "RangeError: thrown synchronously",
    },
    {
      name: "InferenceError from the runtime",
      path: "throws",
      body: { inputs: [], parameters: { kind: "inference" } },
      status: 400,
      error: "feature 'age' must be positive",
    },
    {
      name: "output that disagrees with its shape",
      path: "bad-output",
      body: { inputs: [] },
      status: 500,
      error: "Model output 'y': data has 2 elements, shape [3] needs 3",
    },
    {
      name: "body over max_request_size",
      path: "echo",
      body: { inputs: [fp32Input("x", [20000], new Array(20000).fill(1.5))] },
      status: 413,
      error: "Request body exceeds the limit of 65536 bytes (max_request_size)",
    },
  ];
  for (const c of errorCases) {
    await t.step(`bad input: ${c.name} -> ${c.status}`, async () => {
      const { status, body } = await postJson(`${url}/v2/models/${c.path}/infer`, c.body);
      assert.equal(status, c.status);
      assert.deepEqual(Object.keys(body), ["error"]);
      if (typeof c.error === "string") assert.equal(body.error, c.error);
      else assert.match(body.error, c.error);
      assert.equal(body.error.includes("    at "), false, "no stack trace");
    });
  }

  await t.step(
    "bytes that are not UTF-8 are a 400, whether the length is declared or chunked",
    async () => {
      const text = new TextEncoder();
      const bytes = new Uint8Array([
        ...text.encode('{"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":["a'),
        0xff,
        ...text.encode('"]}]}'),
      ]);
      const declared = await fetch(`${url}/v2/models/echo/infer`, { method: "POST", body: bytes });
      const chunked = await fetch(`${url}/v2/models/echo/infer`, {
        method: "POST",
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        }),
      });
      for (const response of [declared, chunked]) {
        assert.equal(response.status, 400);
        assert.deepEqual(await response.json(), {
          error: "Invalid JSON: the body is not valid UTF-8",
        });
      }
    },
  );

  await t.step("a chunked body over the limit is cut off with 413", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${url}/v2/models/echo/infer`, { method: "POST", body: stream });
    assert.equal(response.status, 413);
    await response.body?.cancel();
  });

  await t.step("unknown routes are 404 and wrong methods 405, both as JSON errors", async () => {
    assert.deepEqual(await getJson(`${url}/v3/nothing`), {
      status: 404,
      body: { error: "Not found: GET /v3/nothing" },
    });
    const response = await fetch(`${url}/v2/models/echo/infer`);
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
    assert.deepEqual(await response.json(), {
      error: "Method GET not allowed on /v2/models/echo/infer",
    });
  });

  await t.step("gzip request bodies are accepted and large responses compressed", async () => {
    const body = new Uint8Array(
      gzipSync(JSON.stringify({ inputs: [fp32Input("x", [200], new Array(200).fill(0.5))] })),
    );
    const response = await fetch(`${url}/v2/models/echo/infer`, {
      method: "POST",
      headers: { "content-encoding": "gzip", "accept-encoding": "gzip" },
      body,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-encoding"), "gzip");
    const decoded = await response.json(); // fetch decompresses
    assert.equal(decoded.outputs[0].data.length, 200);
    const broken = await fetch(`${url}/v2/models/echo/infer`, {
      method: "POST",
      headers: { "content-encoding": "gzip" },
      body: new Uint8Array([1, 2, 3, 4]),
    });
    assert.equal(broken.status, 400);
    assert.match((await broken.json()).error, /^Cannot decompress gzip body/);
  });

  await t.step("repository index lists every model with state and reason", async () => {
    const { status, body } = await postJson(`${url}/v2/repository/index`, {});
    assert.equal(status, 200);
    const byName = (name: string, version?: string) =>
      body.find((e: Json) => e.name === name && e.version === version);
    assert.deepEqual(byName("echo"), { name: "echo", state: "READY", reason: "" });
    assert.deepEqual(byName("versioned", "1"), {
      name: "versioned",
      version: "1",
      state: "READY",
      reason: "",
    });
    assert.equal(byName("load-throws").state, "UNAVAILABLE");
    assert.equal(
      byName("load-throws").reason,
      "Model load-throws failed to load: Error: weights are corrupt",
    );
    assert.equal(
      byName("load-false").reason,
      "Model load-false failed to load: load() returned false",
    );
    assert.match(byName("no-impl").reason, /implementation: required but missing/);
    const ready = await postJson(`${url}/v2/repository/index`, { ready: true });
    assert.ok(ready.body.every((e: Json) => e.state === "READY"));
    assert.equal((await postJson(`${url}/v2/repository/index`, { ready: "yes" })).status, 400);
  });

  await t.step(
    "repository load/unload: 404 for unknown names, 422 for invalid settings",
    async () => {
      const unknownLoad = await postJson(`${url}/v2/repository/models/ghost/load`, {});
      assert.equal(unknownLoad.status, 404);
      assert.deepEqual(unknownLoad.body, { error: "Model ghost not found" });
      const unknownUnload = await postJson(`${url}/v2/repository/models/ghost/unload`, {});
      assert.equal(unknownUnload.status, 404);
      const invalid = await postJson(`${url}/v2/repository/models/no-impl/load`, {});
      assert.equal(invalid.status, 422);
      assert.match(
        invalid.body.error,
        /^Cannot load model no-impl: Invalid settings: implementation: required/,
      );
      const failing = await postJson(`${url}/v2/repository/models/load-throws/load`, {});
      assert.equal(failing.status, 500);
      assert.equal(failing.body.error, "Error: weights are corrupt");
    },
  );

  await t.step(
    "infer_stream sends server-sent events, errors before the stream as JSON",
    async () => {
      const response = await fetch(`${url}/v2/models/streamer/infer_stream`, {
        method: "POST",
        body: JSON.stringify({
          inputs: [{ name: "x", datatype: "INT32", shape: [3], data: [4, 5, 6] }],
        }),
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const events = (await response.text()).trim().split("\n\n");
      assert.equal(events.length, 3);
      assert.deepEqual(events.map((e) => JSON.parse(e.replace(/^data: /, "")).outputs[0].data[0]), [
        4,
        5,
        6,
      ]);
      const midStream = await fetch(`${url}/v2/models/streamer/generate_stream`, {
        method: "POST",
        body: JSON.stringify({
          inputs: [{ name: "x", datatype: "INT32", shape: [2], data: [1, -1] }],
        }),
      });
      const text = await midStream.text();
      assert.match(
        text,
        /^data: \{.*\}\n\nevent: error\ndata: \{"error":"negative value at 1"\}\n\n$/s,
      );
      const notStreaming = await postJson(`${url}/v2/models/echo/infer_stream`, { inputs: [] });
      assert.deepEqual(notStreaming.body, { error: "Model echo does not support streaming" });
      assert.equal(notStreaming.status, 501);
      assert.equal(
        (await postJson(`${url}/v2/models/ghost/infer_stream`, { inputs: [] })).status,
        404,
      );
    },
  );
});
