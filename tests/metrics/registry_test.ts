import assert from "node:assert/strict";
import { PrometheusMetrics } from "../../src/metrics/registry.ts";
import { parseExposition, sampleValue } from "../_metrics.ts";

Deno.test("PrometheusMetrics histograms export cumulative buckets, sum and count", async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const start = performance.now();
  metrics.model({ name: "m", version: "1" }).inferred({
    ok: true,
    received: start - 3,
    started: start,
    runtimeStarted: start,
    ended: start + 7, // 0.007 s: the 0.01 bucket and up
    batchSize: 1,
  });
  metrics.model({ name: "m", version: "1" }).inferred({
    ok: false,
    received: start,
    started: start,
    runtimeStarted: start,
    ended: start + 2000, // 2 s
    batchSize: 1,
  });
  const samples = parseExposition(await metrics.scrape());
  const labels = { model_name: "m", model_version: "1" };
  const bucket = (le: string) =>
    sampleValue(samples, "model_infer_request_duration_bucket", { ...labels, le });
  const cases: [string, number][] = [["0.005", 0], ["0.01", 1], ["1", 1], ["2.5", 2], ["+Inf", 2]];
  for (const [le, expected] of cases) assert.equal(bucket(le), expected, `le=${le}`);
  assert.equal(sampleValue(samples, "model_infer_request_duration_count", labels), 2);
  const sum = sampleValue(samples, "model_infer_request_duration_sum", labels)!;
  assert.ok(Math.abs(sum - 2.007) < 1e-9, String(sum));
  assert.equal(sampleValue(samples, "model_infer_request_success_total", labels), 1);
  assert.equal(sampleValue(samples, "model_infer_request_failure_total", labels), 1);
});

Deno.test("PrometheusMetrics.modelAdded() exports a model's series at zero before any call", async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  metrics.modelAdded({ name: "fresh", version: "" });
  const samples = parseExposition(await metrics.scrape());
  const labels = { model_name: "fresh", model_version: "" };
  assert.equal(sampleValue(samples, "model_infer_request_success_total", labels), 0);
  assert.equal(sampleValue(samples, "batch_request_queue_count", labels), 0);
  assert.equal(sampleValue(samples, "parallel_request_queue_count"), 0);
  const [stats] = metrics.statistics([{ name: "fresh", version: "" }]);
  assert.equal(stats!.inference_stats.success.count, 0);
  assert.equal(stats!.last_inference, 0);
});

Deno.test("PrometheusMetrics statistics: queue, input, infer and output times from the observations", () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const meter = metrics.model({ name: "b", version: "" });
  meter.inferred({
    ok: true,
    received: 100,
    started: 101, // 1 ms decoding
    runtimeStarted: 104, // 3 ms queued
    ended: 110, // 6 ms in the runtime
    batchSize: 8,
  });
  meter.encoded(0.5);
  const [stats] = metrics.statistics([{ name: "b", version: "" }]);
  const s = stats!.inference_stats;
  assert.deepEqual(s.success, { count: 1, ns: 10e6 });
  assert.deepEqual(s.compute_input, { count: 1, ns: 1e6 });
  assert.deepEqual(s.queue, { count: 1, ns: 3e6 });
  assert.deepEqual(s.compute_infer, { count: 1, ns: 6e6 });
  assert.deepEqual(s.compute_output, { count: 1, ns: 0.5e6 });
  assert.equal(stats!.inference_count, 8);
  assert.equal(stats!.execution_count, 1);
  assert.deepEqual(stats!.batch_stats, [{
    batch_size: 8,
    compute_input: { count: 1, ns: 1e6 },
    compute_infer: { count: 1, ns: 6e6 },
    compute_output: { count: 1, ns: 0.5e6 },
  }]);
});

Deno.test("PrometheusMetrics transport metrics: REST and gRPC series by their labels", async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false, restPrefix: "api" });
  metrics.restStarted("POST");
  metrics.restStarted("POST");
  metrics.restFinished("POST", "/v2/models/{model_name}/infer", 200, 0.002);
  const call = { service: "s", method: "M", type: "bidi_stream" as const };
  metrics.grpcStarted("s", "M", "bidi_stream");
  metrics.grpcMessage("s", "M", "received");
  metrics.grpcMessage("s", "M", "sent");
  metrics.grpcMessage("s", "M", "sent");
  metrics.grpcFinished(call, "OK", 0.003);
  const samples = parseExposition(await metrics.scrape());
  assert.equal(sampleValue(samples, "api_requests_in_progress", { method: "POST" }), 1);
  assert.equal(
    sampleValue(samples, "api_requests_total", {
      app_name: "mlserver",
      path: "/v2/models/{model_name}/infer",
      status_code: "200",
    }),
    1,
  );
  const rpc = { grpc_type: "bidi_stream", grpc_service: "s", grpc_method: "M" };
  assert.equal(sampleValue(samples, "grpc_server_msg_sent_total", rpc), 2);
  assert.equal(sampleValue(samples, "grpc_server_msg_received_total", rpc), 1);
  assert.equal(sampleValue(samples, "grpc_server_handled_total", { ...rpc, grpc_code: "OK" }), 1);
});

Deno.test("PrometheusMetrics: a method HTTP does not define is labelled OTHER, however many there are", async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false });
  // Each request's method is a fresh string, as Deno.serve gives it.
  const fresh = (method: string) => [...method].join("");
  for (let i = 0; i < 100; i++) {
    const method = `X${i}`;
    metrics.restStarted(method);
    metrics.restFinished(method, "unmatched", 405, 0.001);
  }
  metrics.restStarted(fresh("GET"));
  metrics.restFinished(fresh("GET"), "/v2/health/live", 200, 0.001);
  const samples = parseExposition(await metrics.scrape());
  const total = samples.filter((s) => s.name === "rest_server_requests_total");
  assert.deepEqual(total.map((s) => [s.labels.method, s.value]).sort(), [["GET", 1], [
    "OTHER",
    100,
  ]]);
  assert.equal(sampleValue(samples, "rest_server_requests_in_progress", { method: "OTHER" }), 0);
});
