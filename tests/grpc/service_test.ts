/**
 * The gRPC handlers called with a fake grpc-js call and callback: no socket,
 * a fake data plane recording the call contexts it gets.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import type { CallContext } from "../../src/dataplane/call.ts";
import type { DataPlaneApi } from "../../src/dataplane/dataplane.ts";
import { DeadlineExceededError, GrpcStatus, ModelNotFoundError } from "../../src/errors.ts";
import { unary } from "../../src/grpc/call.ts";
import { inferenceHandlers, repositoryHandlers } from "../../src/grpc/service.ts";
import { createLogger } from "../../src/logging.ts";
import type { InferenceResponse } from "../../src/protocol/types.ts";
import { packageDefinition } from "../_grpc.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
const methods = () => packageDefinition()["inference.GRPCInferenceService"] as Any;

/** A grpc-js unary call as a handler sees it. */
class FakeCall extends EventEmitter {
  cancelled = false;
  readonly metadata = new grpc.Metadata();
  readonly request: Buffer;

  constructor(request: Buffer, metadata: Record<string, string> = {}) {
    super();
    this.request = request;
    for (const [key, value] of Object.entries(metadata)) this.metadata.set(key, value);
  }

  cancel(): void {
    this.cancelled = true;
    this.emit("cancelled");
  }
}

interface Outcome {
  error: grpc.ServiceError | null;
  value?: Buffer;
  trailer?: grpc.Metadata;
}

/** Runs one unary RPC through `unary()` and resolves with what reached the callback. */
function invoke(
  handlers: ReturnType<typeof inferenceHandlers>,
  rpc: string,
  call: FakeCall,
  lines: string[] = [],
): Promise<Outcome> {
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
  const implementation = unary(rpc, handlers[rpc]!, log);
  return new Promise((resolve) => {
    implementation(call as Any, (error, value, trailer) => {
      const outcome: Outcome = { error: error as grpc.ServiceError | null };
      if (value !== undefined && value !== null) outcome.value = value;
      if (trailer !== undefined) outcome.trailer = trailer;
      resolve(outcome);
    });
  });
}

function fakeDataPlane(answer: (call: CallContext) => Promise<InferenceResponse>) {
  const calls: CallContext[] = [];
  const dataplane: DataPlaneApi = {
    live: () => true,
    ready: () => true,
    metadata: () => ({ name: "fake", version: "1", extensions: [] }),
    modelReady: (name) => {
      if (name !== "m") throw new ModelNotFoundError(name);
      return true;
    },
    modelMetadata: (name) => Promise.resolve({ name, platform: "" }),
    modelStatistics: () => [],
    infer: (_request, call) => {
      calls.push(call);
      return answer(call);
    },
    // deno-lint-ignore require-yield
    inferStream: async function* () {
      throw new Error("not used");
    },
  };
  return { dataplane, calls };
}

const inferBytes = (message: unknown) => methods().ModelInfer.requestSerialize(message) as Buffer;
const readInferResponse = (bytes: Buffer) => methods().ModelInfer.responseDeserialize(bytes);

Deno.test("ModelInfer hands the data plane its call context and sends headers as trailers", async () => {
  const { dataplane, calls } = fakeDataPlane((call) =>
    Promise.resolve({
      model_name: call.name,
      id: "id-1",
      parameters: { headers: { "x-out": "yes" } },
      outputs: [],
    })
  );
  const call = new FakeCall(inferBytes({ model_name: "m", model_version: "2", inputs: [] }), {
    "x-tag": "t",
  });
  const outcome = await invoke(inferenceHandlers(dataplane), "ModelInfer", call);
  assert.equal(outcome.error, null);
  assert.equal(readInferResponse(outcome.value!).id, "id-1");
  assert.deepEqual(outcome.trailer?.get("x-out"), ["yes"]);
  const [context] = calls as [CallContext];
  assert.equal(context.name, "m");
  assert.equal(context.version, "2");
  assert.equal(context.headers?.()["x-tag"], "t");
  assert.equal(context.cancellation?.().aborted, false);
});

Deno.test("ModelInfer routes by mm-model-id when model_name is empty (ModelMesh)", async () => {
  const { dataplane, calls } = fakeDataPlane((call) =>
    Promise.resolve({ model_name: call.name, outputs: [] })
  );
  const call = new FakeCall(inferBytes({ inputs: [] }), { "mm-model-id": "isvc-7" });
  const outcome = await invoke(inferenceHandlers(dataplane), "ModelInfer", call);
  assert.equal(outcome.error, null);
  assert.equal(calls[0]?.name, "isvc-7");
  assert.equal(readInferResponse(outcome.value!).model_name, "isvc-7");
});

Deno.test("ModelInfer: a cancelled call aborts the signal the data plane got", async () => {
  const { dataplane, calls } = fakeDataPlane((call) =>
    new Promise((_resolve, reject) =>
      call.cancellation!().addEventListener("abort", () => reject(new Error("stopped")))
    )
  );
  const call = new FakeCall(inferBytes({ model_name: "m", inputs: [] }));
  const outcome = invoke(inferenceHandlers(dataplane), "ModelInfer", call);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(calls.length, 1);
  call.cancel();
  // The data plane's listener on the signal it made fired: the call ended with its error.
  assert.equal((await outcome).error?.details, "Error: stopped");
});

Deno.test("unary() maps every error to its status in one place, logging faults once", async (t) => {
  const cases: { name: string; error: unknown; code: number; details: string; logged: boolean }[] =
    [
      {
        name: "a ServerError keeps its code (a timeout is answered, not logged as a fault)",
        error: new DeadlineExceededError("too slow"),
        code: GrpcStatus.DEADLINE_EXCEEDED,
        details: "too slow",
        logged: false,
      },
      {
        name: "anything else is INTERNAL with name and message",
        error: new TypeError("x is undefined"),
        code: GrpcStatus.INTERNAL,
        details: "TypeError: x is undefined",
        logged: true,
      },
    ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const lines: string[] = [];
      const { dataplane } = fakeDataPlane(() => Promise.reject(c.error));
      const call = new FakeCall(inferBytes({ model_name: "m", inputs: [] }));
      const outcome = await invoke(inferenceHandlers(dataplane), "ModelInfer", call, lines);
      assert.equal(outcome.error?.code, c.code);
      assert.equal(outcome.error?.details, c.details);
      const errors = lines.filter((line) => line.includes(" ERROR "));
      assert.equal(errors.length, c.logged ? 1 : 0);
      if (c.logged) assert.match(errors[0]!, /\n\s+at /, "with the stack");
    });
  }
  await t.step("a malformed message is INVALID_ARGUMENT, before the data plane", async () => {
    const { dataplane, calls } = fakeDataPlane(() => Promise.reject(new Error("unreachable")));
    const call = new FakeCall(Buffer.from([0x0a, 0xff]));
    const outcome = await invoke(inferenceHandlers(dataplane), "ModelInfer", call);
    assert.equal(outcome.error?.code, GrpcStatus.INVALID_ARGUMENT);
    assert.equal(calls.length, 0);
  });
  await t.step("an unknown model is NOT_FOUND (ModelMesh reads it as a lost model)", async () => {
    const { dataplane } = fakeDataPlane(() => Promise.reject(new Error("unreachable")));
    const request = methods().ModelReady.requestSerialize({ name: "gone" });
    const outcome = await invoke(inferenceHandlers(dataplane), "ModelReady", new FakeCall(request));
    assert.equal(outcome.error?.code, GrpcStatus.NOT_FOUND);
    assert.equal(outcome.error?.details, "Model gone not found");
  });
});

Deno.test("repository handlers decode the model name and answer empty messages", async () => {
  const loaded: string[] = [];
  const handlers = repositoryHandlers({
    index: () => Promise.resolve([{ name: "m", version: "1", state: "READY", reason: "" }]),
    load: (name) => {
      loaded.push(name);
      return Promise.resolve();
    },
    unload: (name) => Promise.reject(new ModelNotFoundError(name)),
  });
  const load = methods().RepositoryModelLoad.requestSerialize({ model_name: "m" });
  const outcome = await invoke(handlers, "RepositoryModelLoad", new FakeCall(load));
  assert.equal(outcome.error, null);
  assert.equal(outcome.value?.byteLength, 0);
  assert.deepEqual(loaded, ["m"]);
  const unload = methods().RepositoryModelUnload.requestSerialize({ model_name: "x" });
  const failed = await invoke(handlers, "RepositoryModelUnload", new FakeCall(unload));
  assert.equal(failed.error?.code, GrpcStatus.NOT_FOUND);
  const index = await invoke(
    handlers,
    "RepositoryIndex",
    new FakeCall(methods().RepositoryIndex.requestSerialize({})),
  );
  const decoded = methods().RepositoryIndex.responseDeserialize(index.value!);
  assert.equal(decoded.models.length, 1);
  assert.deepEqual(
    { name: decoded.models[0].name, version: decoded.models[0].version },
    { name: "m", version: "1" },
  );
  assert.equal(decoded.models[0].state, "READY");
});
