/**
 * The data plane without a transport: a real registry holding test models
 * (wrapped as the server wraps them), called as REST and gRPC call it.
 */
import assert from "node:assert/strict";
import type { CallContext } from "../../src/dataplane/call.ts";
import { DataPlane } from "../../src/dataplane/dataplane.ts";
import { CancelledError, DeadlineExceededError, UnimplementedError } from "../../src/errors.ts";
import { silentLogger } from "../../src/logging.ts";
import type { MetricsRecorder } from "../../src/metrics/recorder.ts";
import { PrometheusMetrics } from "../../src/metrics/registry.ts";
import { parseExposition } from "../_metrics.ts";
import type { InferenceRequest, InferenceResponse } from "../../src/protocol/types.ts";
import { ModelRegistry } from "../../src/registry/model_registry.ts";
import { ConcurrencyLimitedModel } from "../../src/runtime/concurrency.ts";
import { MLModel, type Model, type PredictContext } from "../../src/runtime/model.ts";
import {
  type ModelSettings,
  type ModelSettingsLike,
  resolveModelSettings,
} from "../../src/settings/model_settings.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Echoes the request's id and headers; with `parameters.extra.gate`, waits until opened. */
class Probe extends MLModel {
  static gates: (() => void)[] = [];
  static aborted: unknown[] = [];
  static started = 0;

  static open(): void {
    for (const open of Probe.gates.splice(0)) open();
  }

  async predict(request: InferenceRequest, context?: PredictContext): Promise<InferenceResponse> {
    Probe.started++;
    if (this.settings.parameters.extra.gate === true) {
      const signal = context!.signal;
      await new Promise<void>((resolve, reject) => {
        Probe.gates.push(resolve);
        // A model that honours the signal stops at once.
        if (this.settings.parameters.extra.honours_signal === true) {
          signal.addEventListener("abort", () => {
            Probe.aborted.push(signal.reason);
            reject(signal.reason);
          }, { once: true });
        }
      });
    }
    return {
      model_name: "ignored",
      id: "ignored",
      parameters: { seen_id: request.id, tag: request.parameters?.headers?.["x-tag"] ?? "" },
      outputs: [],
    };
  }

  override async *predictStream(
    requests: AsyncIterable<InferenceRequest>,
  ): AsyncIterable<InferenceResponse> {
    for await (const request of requests) {
      yield { model_name: "ignored", parameters: { seen_id: request.id }, outputs: [] };
    }
  }
}

/** Answers naming a version of its own, as a runtime may. */
class OwnVersion extends MLModel {
  predict(): Promise<InferenceResponse> {
    return Promise.resolve({ model_name: this.name, model_version: "runtime-says", outputs: [] });
  }
}

class NoStream extends MLModel {
  predict(): Promise<InferenceResponse> {
    return Promise.resolve({ model_name: this.name, outputs: [] });
  }
}

async function dataPlaneWith(
  models: {
    settings: ModelSettingsLike;
    build: (settings: ModelSettings) => Model;
  }[],
  inferenceTimeout: number | null = null,
  metrics?: MetricsRecorder,
) {
  const builders = new Map(models.map((m) => [m.settings.name, m.build]));
  const registry = new ModelRegistry({
    create: (settings) => {
      const model = builders.get(settings.name)!(settings);
      return Promise.resolve(
        settings.max_concurrency === undefined ? model : new ConcurrencyLimitedModel(model),
      );
    },
    logger: silentLogger,
    drainTimeoutMs: 1000,
  });
  for (const { settings } of models) {
    await registry.sync(settings.name, [resolveModelSettings(settings)]);
  }
  const dataplane = new DataPlane({
    settings: {
      server_name: "s",
      server_version: "1",
      extensions: [],
      inference_timeout: inferenceTimeout,
    },
    registry,
    readiness: { ready: true },
    logger: silentLogger,
    ...(metrics === undefined ? {} : { metrics }),
  });
  return { dataplane, registry };
}

const probe = (settings: ModelSettingsLike) => ({
  settings,
  build: (s: ModelSettings): Model => new Probe(s),
});

function reset(): void {
  Probe.gates = [];
  Probe.aborted = [];
  Probe.started = 0;
}

/** Lets queued microtasks and timers of zero delay run. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("DataPlane.infer() assigns a UUID to a request without id, echoes one it has", async (t) => {
  reset();
  const { dataplane } = await dataPlaneWith([probe({ name: "p" })]);
  for (const [name, id] of [["no id", undefined], ["empty id (gRPC's unset)", ""]] as const) {
    await t.step(name, async () => {
      const request: InferenceRequest = { inputs: [] };
      if (id !== undefined) request.id = id;
      const response = await dataplane.infer(request, { name: "p" });
      assert.match(response.id!, UUID);
      assert.equal(response.parameters?.seen_id, response.id, "the model saw the same id");
    });
  }
  await t.step("an id of the client's", async () => {
    const response = await dataplane.infer({ id: "abc", inputs: [] }, { name: "p" });
    assert.equal(response.id, "abc");
    assert.equal(response.model_name, "p", "the name as the client sent it, not the model's");
  });
});

Deno.test("DataPlane.infer() gives the model the transport's headers, built on first read", async () => {
  reset();
  const { dataplane } = await dataPlaneWith([probe({ name: "p" })]);
  let built = 0;
  const response = await dataplane.infer({
    inputs: [],
    parameters: { headers: { "x-tag": "forged" } },
  }, {
    name: "p",
    headers: () => {
      built++;
      return { "x-tag": "from-transport" };
    },
  });
  assert.equal(response.parameters?.tag, "from-transport");
  assert.equal(built, 1);
});

Deno.test("DataPlane.infer() answers 504 at inference_timeout while the model keeps its slot", async () => {
  reset();
  const { dataplane } = await dataPlaneWith([
    probe({ name: "p", max_concurrency: 1, parameters: { extra: { gate: true } } }),
  ], 0.02);
  await assert.rejects(dataplane.infer({ inputs: [] }, { name: "p" }), (err: unknown) => {
    assert.ok(err instanceof DeadlineExceededError);
    assert.equal(err.message, "Inference on model p timed out after 0.02 s");
    return true;
  });
  // The prediction still runs (it ignores the signal), so the next call waits for its slot.
  const next = dataplane.infer({ inputs: [] }, { name: "p" });
  await tick();
  assert.equal(Probe.started, 1, "the second call is queued behind the first");
  Probe.open();
  await tick();
  Probe.open();
  await next.catch(() => {});
});

Deno.test("DataPlane.infer(): a client that leaves while queued frees its place at once", async () => {
  reset();
  const { dataplane, registry } = await dataPlaneWith([
    probe({ name: "p", max_concurrency: 1, parameters: { extra: { gate: true } } }),
  ]);
  const limited = registry.get("p") as ConcurrencyLimitedModel;
  const first = dataplane.infer({ inputs: [] }, { name: "p" });
  await tick();
  const client = new AbortController();
  const queued = dataplane.infer({ inputs: [] }, { name: "p", cancellation: () => client.signal });
  await tick();
  assert.equal(limited.queued, 1);
  client.abort(new DOMException("The connection was closed", "AbortError"));
  await assert.rejects(queued, (err: unknown) => {
    assert.ok(err instanceof CancelledError);
    assert.equal(err.status, 499);
    return true;
  });
  assert.equal(limited.queued, 0, "the queue is empty again");
  assert.equal(Probe.started, 1, "the cancelled call never ran");
  Probe.open();
  await first;
  const third = dataplane.infer({ inputs: [] }, { name: "p" });
  await tick();
  assert.equal(Probe.started, 2, "the slot went to the next caller");
  Probe.open();
  await third;
});

Deno.test("DataPlane.infer(): a model that honours the signal stops when the client leaves", async () => {
  reset();
  const { dataplane } = await dataPlaneWith([
    probe({ name: "p", parameters: { extra: { gate: true, honours_signal: true } } }),
  ]);
  const client = new AbortController();
  const running = dataplane.infer({ inputs: [] }, { name: "p", cancellation: () => client.signal });
  await tick();
  client.abort();
  await assert.rejects(running, CancelledError);
  assert.equal(Probe.aborted.length, 1, "the model saw the abort");
});

Deno.test("DataPlane.inferStream() gives every request and response the first request's id", async (t) => {
  reset();
  const { dataplane } = await dataPlaneWith([
    probe({ name: "p" }),
    { settings: { name: "n" }, build: (s) => new NoStream(s) },
  ]);
  async function* requests(ids: (string | undefined)[]) {
    for (const id of ids) yield id === undefined ? { inputs: [] } : { id, inputs: [] };
  }
  await t.step("a generated id", async () => {
    const seen: InferenceResponse[] = [];
    for await (const response of dataplane.inferStream(requests([undefined, "x"]), { name: "p" })) {
      seen.push(response);
    }
    assert.equal(seen.length, 2);
    assert.match(seen[0]!.id!, UUID);
    for (const response of seen) {
      assert.equal(response.id, seen[0]!.id);
      assert.equal(response.parameters?.seen_id, seen[0]!.id);
    }
  });
  await t.step("the client's id", async () => {
    const ids: unknown[] = [];
    for await (const response of dataplane.inferStream(requests(["a", "b"]), { name: "p" })) {
      ids.push(response.id, response.parameters?.seen_id);
    }
    assert.deepEqual(ids, ["a", "a", "a", "a"]);
  });
  await t.step("a model that cannot stream: 501", async () => {
    const stream = dataplane.inferStream(requests([undefined]), { name: "n" });
    await assert.rejects(stream.next(), UnimplementedError);
  });
});

Deno.test("DataPlane.infer() reports to the model's own series, whatever version its answer names", async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const { dataplane } = await dataPlaneWith(
    [{ settings: { name: "own", parameters: { version: "v1" } }, build: (s) => new OwnVersion(s) }],
    null,
    metrics,
  );
  const call: CallContext = { name: "own" };
  const response = await dataplane.infer({ inputs: [] }, call);
  assert.equal(response.model_version, "runtime-says");
  // The transport reports its encoding to the meter the data plane handed it.
  assert.ok(call.meter !== undefined && call.answeredAt !== undefined);
  call.meter.encoded(0.25);
  const [stats] = dataplane.modelStatistics("own", "v1");
  assert.equal(stats!.inference_stats.success.count, 1);
  assert.deepEqual(stats!.inference_stats.compute_output, { count: 1, ns: 0.25e6 });
  const versions = parseExposition(await metrics.scrape())
    .filter((s) => s.name === "model_infer_request_success_total")
    .map((s) => s.labels.model_version);
  assert.deepEqual(versions, ["v1"]);
});
