import assert from "node:assert/strict";
import {
  type CustomMetricSink,
  CustomMetricsScope,
  log,
  register,
} from "../../src/runtime/custom_metrics.ts";
import { PrometheusMetrics } from "../../src/metrics/registry.ts";
import {
  type InferenceRequest,
  type InferenceResponse,
  MLModel,
  resolveModelSettings,
} from "../../src/mod.ts";
import { parseExposition, sampleValue } from "../_metrics.ts";

/** A sink that records what reaches it. */
function spySink() {
  const seen: string[] = [];
  const sink: CustomMetricSink = {
    register: (name, description) => seen.push(`register ${name} ${description}`),
    observe: (name, model, value) => seen.push(`${name} ${model.name}:${model.version} ${value}`),
  };
  return { sink, seen };
}

class Registers extends MLModel {
  override load(): Promise<boolean> {
    register("rows", "Rows");
    return Promise.resolve(true);
  }
  async predict(request: InferenceRequest): Promise<InferenceResponse> {
    await new Promise((r) => setTimeout(r, 1)); // the scope survives awaits
    log({ rows: request.inputs.length });
    return { model_name: this.name, outputs: [] };
  }
  override async *predictStream(
    requests: AsyncIterable<InferenceRequest>,
  ): AsyncIterable<InferenceResponse> {
    for await (const request of requests) {
      await null;
      log({ rows: request.inputs.length * 10 });
      yield { model_name: this.name, outputs: [] };
    }
  }
}

class LogsWhenAsked extends MLModel {
  predict(request: InferenceRequest): Promise<InferenceResponse> {
    if (request.parameters?.log === true) log({ late: 1 });
    return Promise.resolve({ model_name: this.name, outputs: [] });
  }
}

const signal = new AbortController().signal;
const request = (parameters: Record<string, unknown> = {}): InferenceRequest => ({
  inputs: [{ name: "a", datatype: "FP32", shape: [1], data: new Float32Array([1]) }],
  parameters,
});

Deno.test("CustomMetricsScope binds register() and log() to the calling model, across awaits and streams", async () => {
  const { sink, seen } = spySink();
  const model = new CustomMetricsScope(
    new Registers(resolveModelSettings({ name: "iris", parameters: { version: "7" } })),
    sink,
  );
  await model.load();
  await model.predict(request(), { signal });
  async function* two() {
    yield request();
    yield request();
  }
  for await (const _ of model.predictStream(two(), { signal })) { /* drain */ }
  assert.deepEqual(seen, [
    "register rows Rows",
    "rows iris:7 1",
    "rows iris:7 10",
    "rows iris:7 10",
  ]);
});

Deno.test("log() outside a model call throws, naming the remedy", () => {
  assert.throws(
    () => log({ x: 1 }),
    /outside a model's load\(\) or predict\(\): call register\(\) in load\(\)/,
  );
  assert.throws(() => register("x", "y"), /Cannot register a custom metric/);
});

Deno.test("CustomMetricsScope scopes the first prediction, then only models that used a metric", async () => {
  const { sink, seen } = spySink();
  const model = new CustomMetricsScope(
    new LogsWhenAsked(resolveModelSettings({ name: "m" })),
    sink,
  );
  await model.load();
  await model.predict(request({ log: true }), { signal }); // first call: scoped, so it works
  await model.predict(request({ log: true }), { signal }); // it used one: still scoped
  assert.deepEqual(seen, ["late m: 1", "late m: 1"]);
  const quiet = new CustomMetricsScope(
    new LogsWhenAsked(resolveModelSettings({ name: "q" })),
    sink,
  );
  await quiet.predict(request(), { signal }); // first call, no metric: later calls are not scoped
  await assert.rejects(
    async () => await quiet.predict(request({ log: true }), { signal }),
    /outside a model/,
  );
});

Deno.test("CustomMetrics: histograms with the model's labels; server names and bad values refused", async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  metrics.custom.register("latency_ms", "Latency");
  metrics.custom.observe("latency_ms", { name: "a", version: "" }, 3);
  metrics.custom.observe("latency_ms", { name: "a", version: "" }, 4);
  metrics.custom.observe("auto_named", { name: "b", version: "2" }, 1);
  const text = await metrics.scrape();
  const samples = parseExposition(text);
  assert.equal(sampleValue(samples, "latency_ms_sum", { model_name: "a", model_version: "" }), 7);
  assert.equal(
    sampleValue(samples, "auto_named_count", { model_name: "b", model_version: "2" }),
    1,
  );
  assert.match(text, /# HELP latency_ms Latency/);
  assert.throws(
    () => metrics.custom.register("model_infer_request_success_total", "x"),
    /the server exports that name/,
  );
  assert.throws(
    () => metrics.custom.register("rest_server_requests_total", "x"),
    /exports that name/,
  );
  assert.throws(
    () => metrics.custom.observe("latency_ms", { name: "a", version: "" }, Number.NaN),
    /NaN is not a number/,
  );
});
