/**
 * gRPC load generator: a grpc-js client in its own process sending the same
 * pre-encoded ModelInferRequest a fixed number of times at a fixed
 * concurrency, then printing one JSON line with the elapsed time.
 * Usage: deno run -A bench/grpc_load.ts PORT CALLS CONCURRENCY small|large
 */
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const [port, calls, concurrency, size] = [
  Number(Deno.args[0]),
  Number(Deno.args[1]),
  Number(Deno.args[2]),
  Deno.args[3] ?? "small",
];
const root = new URL("../proto/", import.meta.url).pathname;
// deno-lint-ignore no-explicit-any
type Any = any;
const service = loadSync([`${root}dataplane.proto`], {
  keepCase: true,
})["inference.GRPCInferenceService"] as Any;

/** The request both servers get, encoded once by protobufjs. */
export function benchRequest(kind: string): Buffer {
  if (kind === "small") {
    return service.ModelInfer.requestSerialize({
      model_name: "echo",
      inputs: [{
        name: "input-0",
        datatype: "FP32",
        shape: [1, 4],
        contents: { fp32_contents: [0.1, 0.2, 0.3, 0.4] },
      }],
    });
  }
  const values = new Float32Array(1_000_000).map((_, i) => i / 7);
  return service.ModelInfer.requestSerialize({
    model_name: "echo",
    inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 1_000_000] }],
    raw_input_contents: [Buffer.from(values.buffer)],
  });
}

if (import.meta.main) {
  const request = benchRequest(size);
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });
  const one = () =>
    new Promise<number>((resolve, reject) =>
      client.makeUnaryRequest(
        "/inference.GRPCInferenceService/ModelInfer",
        (v: Buffer) => v,
        (v: Buffer) => v,
        request,
        (err, response) => err ? reject(err) : resolve(response!.byteLength),
      )
    );
  await one(); // connect
  let started = 0;
  let received = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (started < calls) {
      started++;
      received += await one();
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  client.close();
  console.log(
    JSON.stringify({
      calls,
      seconds,
      requestBytes: request.byteLength,
      responseBytes: received / calls,
    }),
  );
}
