/**
 * Tracing end to end: a server with `tracing_server` pointing at a real
 * OTLP/gRPC receiver started by the test; each REST and gRPC inference
 * gives one server span, child of the caller's `traceparent`, and one
 * model span inside it.
 */
import assert from "node:assert/strict";
import { fixture, postJson, startServer, withTmpDir, writeModel } from "../_helpers.ts";
import { call, grpc, inferenceClient } from "../_grpc.ts";
import { type ReceivedSpan, startOtlpReceiver } from "../_otlp.ts";

const OBSERVED = `${fixture("runtimes", "observed.ts")}:ObservedModel`;

function traceparent(): { header: string; traceId: string; parentId: string } {
  const bytes = (n: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0"))
      .join("");
  const traceId = bytes(16);
  const parentId = bytes(8);
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

function inTrace(spans: ReceivedSpan[], traceId: string): ReceivedSpan[] {
  return spans.filter((s) => s.traceId === traceId);
}

Deno.test("tracing_server: one server span per call, parented to traceparent, and one model span inside it", async () => {
  await using receiver = await startOtlpReceiver();
  await using dir = await withTmpDir();
  await writeModel(dir.path, "alpha", {
    name: "alpha",
    implementation: OBSERVED,
    parameters: { version: "3" },
  });
  const srv = await startServer(dir.path, {
    settings: { tracing_server: `127.0.0.1:${receiver.port}`, server_name: "traced" },
  });
  const rest = traceparent();
  const restFail = traceparent();
  const grpcCall = traceparent();
  const client = inferenceClient(srv.server.grpcPort);
  try {
    const body = (v: number) => ({
      id: "req-1",
      inputs: [{ name: "x", datatype: "FP64", shape: [1], data: [v] }],
    });
    const ok = await postJson(`${srv.url}/v2/models/alpha/infer`, body(1), {
      traceparent: rest.header,
    });
    assert.equal(ok.status, 200);
    const failed = await postJson(`${srv.url}/v2/models/alpha/infer`, body(-1), {
      traceparent: restFail.header,
    });
    assert.equal(failed.status, 400);
    await fetch(`${srv.url}/v2/health/live`).then((r) => r.body?.cancel());
    const metadata = new grpc.Metadata();
    metadata.set("traceparent", grpcCall.header);
    const answer = await call(client, "ModelInfer", {
      model_name: "alpha",
      id: "req-2",
      inputs: [{ name: "x", datatype: "FP64", shape: [1], contents: { fp64_contents: [2] } }],
    }, metadata);
    assert.equal(answer.error, undefined);
  } finally {
    client.close();
    await srv.server.stop(); // flushes the batch span processor
  }

  const cases = [
    { name: "REST", trace: rest, server: "POST /v2/models/{model_name}/infer", id: "req-1" },
    {
      name: "REST failure",
      trace: restFail,
      server: "POST /v2/models/{model_name}/infer",
      id: "req-1",
    },
    {
      name: "gRPC",
      trace: grpcCall,
      server: "inference.GRPCInferenceService/ModelInfer",
      id: "req-2",
    },
  ];
  for (const c of cases) {
    const spans = inTrace(receiver.spans, c.trace.traceId);
    assert.equal(spans.length, 2, `${c.name}: two spans in the caller's trace`);
    const server = spans.find((s) => s.kind === 2);
    const model = spans.find((s) => s.kind === 1);
    assert.ok(server !== undefined && model !== undefined, c.name);
    assert.equal(server.name, c.server);
    assert.equal(server.parentSpanId, c.trace.parentId, `${c.name}: child of the caller's span`);
    assert.equal(model.parentSpanId, server.spanId, `${c.name}: the model span is inside`);
    assert.equal(model.name, "infer alpha");
    assert.equal(model.attributes["model.name"], "alpha");
    assert.equal(model.attributes["model.version"], "3");
    assert.equal(model.attributes["inference.request_id"], c.id);
    assert.equal(server.resource["service.name"], "traced");
  }
  const [restServer] = inTrace(receiver.spans, rest.traceId).filter((s) => s.kind === 2);
  assert.equal(restServer!.attributes["http.response.status_code"], 200);
  assert.equal(restServer!.attributes["http.route"], "/v2/models/{model_name}/infer");
  const failedModel = inTrace(receiver.spans, restFail.traceId).find((s) => s.kind === 1)!;
  assert.equal(failedModel.status.code, 2, "the failed model call is an error span");
  assert.match(failedModel.status.message, /negative values/);
  const grpcServer = inTrace(receiver.spans, grpcCall.traceId).find((s) => s.kind === 2)!;
  assert.equal(grpcServer.attributes["rpc.grpc.status_code"], 0);
  // Health checks are not traced: every span belongs to one of the three calls.
  assert.equal(receiver.spans.length, 6);
});
