/**
 * gRPC load for the ONNX benchmark: a grpc-js client in its own process
 * sending one pre-encoded ModelInferRequest (FP32 raw contents, ROWS x
 * FEATURES) CALLS times at CONCURRENCY, then one JSON line with the time.
 * Usage: deno run -A bench/onnx_grpc_load.ts PORT MODEL INPUT ROWS FEATURES CALLS CONCURRENCY
 */
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const [port, model, input, rows, features, calls, concurrency] = Deno.args;
const root = new URL("../proto/", import.meta.url).pathname;
// deno-lint-ignore no-explicit-any
type Any = any;
const definition = loadSync([`${root}dataplane.proto`], { keepCase: true });
const service = definition["inference.GRPCInferenceService"] as Any;
const values = Float32Array.from(
  { length: Number(rows) * Number(features) },
  (_, i) => (i % 7) / 7,
);
const request: Buffer = service.ModelInfer.requestSerialize({
  model_name: model,
  inputs: [{ name: input, datatype: "FP32", shape: [rows, features] }],
  raw_input_contents: [Buffer.from(values.buffer)],
});
const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const one = () =>
  new Promise<void>((resolve, reject) =>
    client.makeUnaryRequest(
      "/inference.GRPCInferenceService/ModelInfer",
      (v: Buffer) => v,
      (v: Buffer) => v,
      request,
      (err) => err ? reject(err) : resolve(),
    )
  );
for (let i = 0; i < 200; i++) await one(); // connect and warm up
let started = 0;
const total = Number(calls);
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
  while (started < total) {
    started++;
    await one();
  }
}));
const seconds = (performance.now() - t0) / 1000;
client.close();
console.log(JSON.stringify({ calls: total, seconds }));
