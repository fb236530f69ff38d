/**
 * The REST handler called with `new Request(...)`: no socket, a fake data
 * plane that records the calls it gets.
 */
import assert from "node:assert/strict";
import type { CallContext } from "../../src/dataplane/call.ts";
import type { DataPlaneApi } from "../../src/dataplane/dataplane.ts";
import { InferenceError, ModelNotFoundError } from "../../src/errors.ts";
import { createLogger } from "../../src/logging.ts";
import type { InferenceRequest, InferenceResponse } from "../../src/protocol/types.ts";
import { createRestHandler } from "../../src/rest/app.ts";
import type { RestDeps } from "../../src/rest/context.ts";

interface Recorded {
  request: InferenceRequest;
  call: CallContext;
}

/** A data plane that answers from a script and records what it was asked. */
function fakeDataPlane(infer: (request: InferenceRequest) => InferenceResponse | Promise<never>) {
  const calls: Recorded[] = [];
  const dataplane: DataPlaneApi = {
    live: () => true,
    ready: () => false,
    metadata: () => ({ name: "fake", version: "0", extensions: ["x"] }),
    modelReady: (name) => {
      if (name !== "m") throw new ModelNotFoundError(name);
      return true;
    },
    modelMetadata: (name) => Promise.resolve({ name, platform: "p", inputs: [], outputs: [] }),
    modelStatistics: () => [],
    infer: async (request, call) => {
      calls.push({ request, call });
      return await infer(request);
    },
    inferStream: async function* (requests, call) {
      for await (const request of requests) {
        calls.push({ request, call });
        const value = request.inputs[0]?.data[0];
        if (value === 0) throw new TypeError("exploded mid-stream");
        yield { model_name: call.name, outputs: [] } as InferenceResponse;
        yield { model_name: call.name, outputs: [] } as InferenceResponse;
        if (value === 2) throw new InferenceError("bad value 2");
      }
    },
  };
  return { dataplane, calls };
}

function handlerWith(dataplane: DataPlaneApi, lines: string[] = []) {
  const deps: RestDeps = {
    dataplane,
    repository: {
      index: () => Promise.resolve([{ name: "m", state: "READY", reason: "" }]),
      load: (name) =>
        name === "m" ? Promise.resolve() : Promise.reject(new ModelNotFoundError(name)),
      unload: () => Promise.resolve(),
    },
    settings: {
      max_request_size: 1024,
      gzip_enabled: true,
      cors_settings: null,
      root_path: "/prefix",
    },
    logger: createLogger({ level: "debug", write: (line) => lines.push(line) }),
  };
  return createRestHandler(deps);
}

const echo = (request: InferenceRequest): InferenceResponse => ({
  model_name: "whatever",
  parameters: { headers: { "x-from-model": "1" }, kept: true },
  outputs: request.inputs.map((input) => ({ ...input, parameters: undefined })),
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`http://localhost${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

const input = { name: "x", datatype: "INT32", shape: [1], data: [1] };

Deno.test("createRestHandler() routes health and metadata to the data plane", async (t) => {
  const handler = handlerWith(fakeDataPlane(echo).dataplane);
  const cases: { name: string; path: string; status: number; body?: unknown }[] = [
    { name: "live", path: "/v2/health/live", status: 200 },
    { name: "ready is false", path: "/v2/health/ready", status: 400 },
    {
      name: "server metadata",
      path: "/v2",
      status: 200,
      body: { name: "fake", version: "0", extensions: ["x"] },
    },
    { name: "model ready", path: "/v2/models/m/ready", status: 200 },
    {
      name: "unknown model",
      path: "/v2/models/nope/ready",
      status: 404,
      body: { error: "Model nope not found" },
    },
    { name: "root_path stripped", path: "/prefix/v2/health/live", status: 200 },
    {
      name: "model metadata, versioned",
      path: "/v2/models/m/versions/3",
      status: 200,
      body: { name: "m", platform: "p", inputs: [], outputs: [] },
    },
    { name: "no such route", path: "/v3", status: 404, body: { error: "Not found: GET /v3" } },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const response = await handler(new Request(`http://localhost${c.path}`));
      assert.equal(response.status, c.status);
      const text = await response.text();
      if (c.body === undefined) assert.equal(text, "", "health answers have empty bodies");
      else assert.deepEqual(JSON.parse(text), c.body);
    });
  }
  await t.step("a known path with the wrong method: 405 with Allow", async () => {
    const response = await handler(
      new Request("http://localhost/v2/health/live", { method: "DELETE" }),
    );
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET");
    await response.body?.cancel();
  });
});

Deno.test("createRestHandler() hands infer the call context: name, version, signal, lazy headers", async () => {
  const { dataplane, calls } = fakeDataPlane(echo);
  const handler = handlerWith(dataplane);
  const response = await handler(
    post("/v2/models/m/versions/2/infer", { inputs: [input] }, { "x-tag": "t1" }),
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-from-model"), "1", "model headers become HTTP headers");
  const body = await response.json();
  assert.deepEqual(body.parameters, { kept: true }, "and leave the body");
  const [{ call, request }] = calls as [Recorded];
  assert.equal(call.name, "m");
  assert.equal(call.version, "2");
  assert.ok(call.cancellation?.() instanceof AbortSignal, "made only when read");
  assert.equal(call.headers?.()["x-tag"], "t1");
  assert.equal(request.id, undefined, "ids are the data plane's to assign, not the transport's");
});

Deno.test("createRestHandler() maps errors in one place and logs server faults once with their stack", async (t) => {
  await t.step("a ServerError keeps its status and message, logged at debug only", async () => {
    const lines: string[] = [];
    const { dataplane } = fakeDataPlane(() => Promise.reject(new InferenceError("bad input")));
    const response = await handlerWith(dataplane, lines)(
      post("/v2/models/m/infer", { inputs: [] }),
    );
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { error: "bad input" });
    assert.equal(lines.filter((l) => l.includes(" ERROR ")).length, 0);
  });
  await t.step("anything else is a 500 with its name and message, never its stack", async () => {
    const lines: string[] = [];
    const { dataplane } = fakeDataPlane(() =>
      Promise.reject(new RangeError("index 7 out of range"))
    );
    const response = await handlerWith(dataplane, lines)(
      post("/v2/models/m/infer", { inputs: [] }),
    );
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.equal(text, JSON.stringify({ error: "RangeError: index 7 out of range" }));
    const errors = lines.filter((l) => l.includes(" ERROR "));
    assert.equal(errors.length, 1, "logged once");
    assert.match(errors[0]!, /\n\s+at /, "with its stack");
  });
  await t.step("a bad body never reaches the data plane", async () => {
    const { dataplane, calls } = fakeDataPlane(echo);
    const response = await handlerWith(dataplane)(post("/v2/models/m/infer", { inputs: [{}] }));
    assert.equal(response.status, 400);
    assert.match((await response.json()).error, /^Invalid inference request: inputs\[0\]\.name/);
    assert.equal(calls.length, 0);
  });
  await t.step("a body over max_request_size: 413", async () => {
    const { dataplane } = fakeDataPlane(echo);
    const big = { inputs: [{ ...input, shape: [1000], data: new Array(1000).fill(1) }] };
    const response = await handlerWith(dataplane)(post("/v2/models/m/infer", big));
    assert.equal(response.status, 413);
    await response.body?.cancel();
  });
});

async function readEvents(response: Response): Promise<string[]> {
  const text = await response.text();
  return text.split("\n\n").filter((e) => e !== "");
}

Deno.test("createRestHandler() streams SSE; mid-stream errors go through the one mapper", async (t) => {
  await t.step("every response is a data event", async () => {
    const { dataplane } = fakeDataPlane(echo);
    const response = await handlerWith(dataplane)(
      post("/v2/models/m/infer_stream", { inputs: [input] }),
    );
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const events = await readEvents(response);
    assert.equal(events.length, 2);
    assert.deepEqual(JSON.parse(events[0]!.replace(/^data: /, "")), {
      model_name: "m",
      outputs: [],
    });
  });
  await t.step("an error before the first event is a plain JSON error", async () => {
    const lines: string[] = [];
    const { dataplane } = fakeDataPlane(echo);
    const body = { inputs: [{ ...input, data: [0] }] };
    const response = await handlerWith(dataplane, lines)(post("/v2/models/m/infer_stream", body));
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), { error: "TypeError: exploded mid-stream" });
  });
  await t.step("a ServerError mid-stream: an error event with its message", async () => {
    const lines: string[] = [];
    const { dataplane } = fakeDataPlane(echo);
    const body = { inputs: [{ ...input, data: [2] }] };
    const response = await handlerWith(dataplane, lines)(post("/v2/models/m/infer_stream", body));
    const events = await readEvents(response);
    assert.equal(events.length, 3);
    assert.equal(events[2], `event: error\ndata: ${JSON.stringify({ error: "bad value 2" })}`);
    assert.equal(
      lines.filter((l) => l.includes(" ERROR ")).length,
      0,
      "a client error: debug only",
    );
  });
});

Deno.test("SSE: a non-ServerError mid-stream is logged once with its stack", async () => {
  const lines: string[] = [];
  const dataplane: DataPlaneApi = {
    ...fakeDataPlane(echo).dataplane,
    inferStream: async function* (_requests, call) {
      yield { model_name: call.name, outputs: [] };
      throw new TypeError("broke after one");
    },
  };
  const response = await handlerWith(dataplane, lines)(
    post("/v2/models/m/infer_stream", { inputs: [] }),
  );
  const events = await readEvents(response);
  assert.equal(
    events[1],
    `event: error\ndata: ${JSON.stringify({ error: "TypeError: broke after one" })}`,
  );
  const errors = lines.filter((l) => l.includes(" ERROR "));
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /mid-stream failed: TypeError: broke after one\n.*TypeError/);
  assert.match(errors[0]!, /\n\s+at /);
});

Deno.test("createRestHandler(): 404 and 405 messages quote at most 256 characters of the path", async () => {
  const handler = handlerWith(fakeDataPlane(echo).dataplane);
  const name = "m".repeat(5000);
  for (
    const [method, path, status] of [["GET", `/v2/models/${name}/infer`, 405], [
      "GET",
      `/${name}`,
      404,
    ]] as const
  ) {
    const response = await handler(new Request(`http://localhost${path}`, { method }));
    assert.equal(response.status, status);
    const { error } = await response.json();
    assert.ok(error.length < 300, `${status}: ${error.length} characters`);
  }
});
