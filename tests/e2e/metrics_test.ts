/**
 * Metrics and statistics end to end: a scripted mix of REST and gRPC calls
 * on two models, then `/metrics` on both ports and the statistics endpoints
 * of both transports.
 */
import assert from "node:assert/strict";
import { fixture, postJson, startServer, withTmpDir, writeModel } from "../_helpers.ts";
import { call, inferenceClient } from "../_grpc.ts";
import { metricNames, parseExposition, sampleValue } from "../_metrics.ts";

const OBSERVED = `${fixture("runtimes", "observed.ts")}:ObservedModel`;

function restInput(values: number[]) {
  return { inputs: [{ name: "x", datatype: "FP64", shape: [values.length], data: values }] };
}

function grpcRequest(model: string, values: number[]) {
  return {
    model_name: model,
    inputs: [{
      name: "x",
      datatype: "FP64",
      shape: [values.length],
      contents: { fp64_contents: values },
    }],
  };
}

async function scrape(url: string) {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, samples: parseExposition(text) };
}

Deno.test("/metrics on both ports counts every REST and gRPC call on two models, with custom metrics", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "alpha", { name: "alpha", implementation: OBSERVED });
  await writeModel(dir.path, "beta", {
    name: "beta",
    implementation: OBSERVED,
    parameters: { version: "2" },
  });
  await using srv = await startServer(dir.path);
  const client = inferenceClient(srv.server.grpcPort);
  try {
    const rest = (model: string, values: number[]) =>
      postJson(`${srv.url}/v2/models/${model}/infer`, restInput(values));
    // The script: 3 REST and 1 gRPC successes, 2 REST failures on alpha;
    // 1 REST and 2 gRPC successes, 1 gRPC failure on beta; one unknown model.
    for (const values of [[1, 2], [3], [4, 5, 6]]) {
      assert.equal((await rest("alpha", values)).status, 200);
    }
    for (let i = 0; i < 2; i++) assert.equal((await rest("alpha", [-1])).status, 400);
    assert.equal(
      (await postJson(`${srv.url}/v2/models/beta/versions/2/infer`, restInput([7]))).status,
      200,
    );
    assert.equal((await rest("nobody", [1])).status, 404);
    assert.equal((await call(client, "ModelInfer", grpcRequest("alpha", [8]))).error, undefined);
    for (let i = 0; i < 2; i++) {
      assert.equal((await call(client, "ModelInfer", grpcRequest("beta", [9]))).error, undefined);
    }
    assert.equal((await call(client, "ModelInfer", grpcRequest("beta", [-9]))).error?.code, 3);
    assert.equal(await fetch(`${srv.url}/v2/health/ready`).then((r) => r.text()), "");

    const http = await scrape(`${srv.url}/metrics`);
    const port = await scrape(`http://127.0.0.1:${srv.server.metricsPort}/metrics`);
    for (const { text, samples } of [http, port]) {
      const names = metricNames(text);
      for (
        const name of [
          "model_infer_request_success_total",
          "model_infer_request_failure_total",
          "model_infer_request_duration",
          "batch_request_queue",
          "parallel_request_queue",
          "rest_server_requests_total",
          "rest_server_request_duration_seconds",
          "rest_server_requests_in_progress",
          "grpc_server_started_total",
          "grpc_server_handled_total",
          "grpc_server_handling_seconds",
          "grpc_server_msg_received_total",
          "grpc_server_msg_sent_total",
          "process_cpu_seconds_total",
          "process_resident_memory_bytes",
          "observed_input_sum",
        ]
      ) assert.ok(names.has(name), `${name} is exported`);
      const model = (name: string, version = "") => ({ model_name: name, model_version: version });
      const value = (name: string, labels: Record<string, string>) =>
        sampleValue(samples, name, labels);
      assert.equal(value("model_infer_request_success_total", model("alpha")), 4);
      assert.equal(value("model_infer_request_failure_total", model("alpha")), 2);
      assert.equal(value("model_infer_request_success_total", model("beta", "2")), 3);
      assert.equal(value("model_infer_request_failure_total", model("beta", "2")), 1);
      assert.equal(value("model_infer_request_duration_count", model("alpha")), 6);
      assert.equal(value("model_infer_request_duration_count", model("beta", "2")), 4);
      const restPath = (path: string, status: string) => ({
        app_name: "mlserver",
        method: "POST",
        path,
        status_code: status,
      });
      const infer = "/v2/models/{model_name}/infer";
      assert.equal(value("rest_server_requests_total", restPath(infer, "200")), 3);
      assert.equal(value("rest_server_requests_total", restPath(infer, "400")), 2);
      assert.equal(value("rest_server_requests_total", restPath(infer, "404")), 1);
      const versioned = "/v2/models/{model_name}/versions/{model_version}/infer";
      assert.equal(value("rest_server_requests_total", restPath(versioned, "200")), 1);
      assert.equal(value("rest_server_request_duration_seconds_count", restPath(infer, "200")), 3);
      assert.equal(
        value("rest_server_request_duration_seconds_bucket", {
          ...restPath(infer, "400"),
          le: "+Inf",
        }),
        2,
      );
      // MLServer leaves the health checks and the metrics path itself out.
      assert.equal(samples.some((s) => s.labels.path === "/v2/health/ready"), false);
      assert.equal(value("rest_server_requests_in_progress", { method: "POST" }), 0);
      const rpc = {
        grpc_type: "unary",
        grpc_service: "inference.GRPCInferenceService",
        grpc_method: "ModelInfer",
      };
      assert.equal(value("grpc_server_started_total", rpc), 4);
      assert.equal(value("grpc_server_handled_total", { ...rpc, grpc_code: "OK" }), 3);
      assert.equal(
        value("grpc_server_handled_total", { ...rpc, grpc_code: "INVALID_ARGUMENT" }),
        1,
      );
      assert.equal(value("grpc_server_handling_seconds_count", rpc), 4);
      assert.equal(value("grpc_server_msg_received_total", rpc), 4);
      assert.equal(value("grpc_server_msg_sent_total", rpc), 3);
      // The custom metric: one observation per successful prediction, the model's labels added.
      assert.equal(value("observed_input_sum_count", model("alpha")), 4);
      assert.equal(value("observed_input_sum_sum", model("alpha")), 1 + 2 + 3 + 4 + 5 + 6 + 8);
      assert.equal(value("observed_input_sum_count", model("beta", "2")), 3);
      assert.equal(value("batch_request_queue_count", model("alpha")), 0);
    }

    const stats = await fetch(`${srv.url}/v2/models/alpha/stats`).then((r) => r.json());
    assert.equal(stats.model_stats.length, 1);
    const [alpha] = stats.model_stats;
    assert.equal(alpha.name, "alpha");
    assert.equal(alpha.inference_count, 4);
    assert.equal(alpha.execution_count, 4);
    assert.equal(alpha.inference_stats.success.count, 4);
    assert.equal(alpha.inference_stats.fail.count, 2);
    assert.equal(alpha.inference_stats.compute_infer.count, 4);
    assert.equal(alpha.inference_stats.compute_output.count, 4);
    assert.ok(alpha.inference_stats.success.ns > 0);
    assert.ok(alpha.last_inference > Date.now() - 60_000 && alpha.last_inference <= Date.now());
    assert.deepEqual(alpha.batch_stats.map((b: { batch_size: number }) => b.batch_size), [1]);
    const all = await fetch(`${srv.url}/v2/models/stats`).then((r) => r.json());
    assert.deepEqual(all.model_stats.map((m: { name: string }) => m.name).sort(), [
      "alpha",
      "beta",
    ]);
    const grpcStats = await call(client, "ModelStatistics", { name: "beta" });
    assert.equal(grpcStats.error, undefined);
    const [beta] = grpcStats.response.model_stats;
    assert.equal(beta.name, "beta");
    assert.equal(beta.version, "2");
    assert.equal(beta.inference_count, "3");
    assert.equal(beta.inference_stats.success.count, "3");
    assert.equal(beta.inference_stats.fail.count, "1");
    const missing = await call(client, "ModelStatistics", { name: "nobody" });
    assert.equal(missing.error?.code, 5);
    assert.equal(await fetch(`${srv.url}/v2/models/nobody/stats`).then((r) => r.status), 404);
    // Triton's versioned form names one version; an unknown one is a 404.
    const versioned = await fetch(`${srv.url}/v2/models/beta/versions/2/stats`).then((r) =>
      r.json()
    );
    assert.deepEqual(
      versioned.model_stats.map((m: { version: string; inference_count: number }) => [
        m.version,
        m.inference_count,
      ]),
      [["2", 3]],
    );
    assert.equal(
      await fetch(`${srv.url}/v2/models/beta/versions/9/stats`).then((r) => r.status),
      404,
    );
    const metadata = await fetch(`${srv.url}/v2`).then((r) => r.json());
    assert.ok(metadata.extensions.includes("statistics"));
  } finally {
    client.close();
  }
});

Deno.test("an answer naming another version still counts, encoding included, in its model's own series (REST and gRPC)", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "own", {
    name: "own",
    implementation: OBSERVED,
    parameters: { version: "1", extra: { answer_version: "runtime-says" } },
  });
  await using srv = await startServer(dir.path);
  const client = inferenceClient(srv.server.grpcPort);
  try {
    const rest = await postJson(`${srv.url}/v2/models/own/infer`, restInput([1]));
    assert.equal(rest.status, 200);
    assert.equal(rest.body.model_version, "runtime-says");
    const grpc = await call(client, "ModelInfer", grpcRequest("own", [2]));
    assert.equal(grpc.response?.model_version, "runtime-says");
    const { samples } = await scrape(`${srv.url}/metrics`);
    const versions = samples.filter((s) =>
      s.name === "model_infer_request_success_total" && s.labels.model_name === "own"
    ).map((s) => [s.labels.model_version, s.value]);
    assert.deepEqual(versions, [["1", 2]]);
    const [own] = (await fetch(`${srv.url}/v2/models/own/stats`).then((r) => r.json())).model_stats;
    assert.equal(own.version, "1");
    assert.equal(own.inference_stats.compute_output.count, 2);
    assert.equal(own.batch_stats[0].compute_output.count, 2);
  } finally {
    client.close();
  }
});

Deno.test("metrics_endpoint null turns the exposition off on both ports; statistics stay", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "alpha", { name: "alpha", implementation: OBSERVED });
  await using srv = await startServer(dir.path, { settings: { metrics_endpoint: null } });
  assert.throws(() => srv.server.metricsPort, /not started/);
  assert.equal((await postJson(`${srv.url}/v2/models/alpha/infer`, restInput([1]))).status, 200);
  assert.equal(await fetch(`${srv.url}/metrics`).then((r) => (r.body?.cancel(), r.status)), 404);
  const stats = await fetch(`${srv.url}/v2/models/alpha/stats`).then((r) => r.json());
  assert.equal(stats.model_stats[0].inference_stats.success.count, 1);
});

Deno.test("metrics_rest_server_prefix and metrics_endpoint rename the REST metrics and the path", async () => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "alpha", { name: "alpha", implementation: OBSERVED });
  await using srv = await startServer(dir.path, {
    settings: { metrics_rest_server_prefix: "edge", metrics_endpoint: "/prometheus" },
  });
  assert.equal((await postJson(`${srv.url}/v2/models/alpha/infer`, restInput([1]))).status, 200);
  const { text, samples } = await scrape(`${srv.url}/prometheus`);
  assert.ok(metricNames(text).has("edge_requests_total"));
  assert.ok(!metricNames(text).has("rest_server_requests_total"));
  assert.equal(
    sampleValue(samples, "edge_requests_total", { path: "/v2/models/{model_name}/infer" }),
    1,
  );
  const port = await fetch(`http://127.0.0.1:${srv.server.metricsPort}/prometheus`);
  assert.equal(port.status, 200);
  await port.body?.cancel();
  const other = await fetch(`http://127.0.0.1:${srv.server.metricsPort}/metrics`);
  assert.equal(other.status, 404);
  await other.body?.cancel();
});
