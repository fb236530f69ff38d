/**
 * The gRPC baseline of PERFORMANCE.md: a bare grpc-js server, built the
 * standard way from our proto/ with proto-loader, whose ModelInfer echoes the
 * request's tensors back (typed contents or raw contents), nothing else.
 * Usage: deno run -A bench/baselines/bare_grpc.ts PORT
 */
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const root = new URL("../../proto/", import.meta.url).pathname;
const definition = loadSync([`${root}dataplane.proto`], {
  keepCase: true,
  longs: String,
  defaults: false,
});
// deno-lint-ignore no-explicit-any
const pkg = grpc.loadPackageDefinition(definition) as any;
const server = new grpc.Server({
  "grpc.max_receive_message_length": -1,
  "grpc.max_send_message_length": -1,
});
server.addService(pkg.inference.GRPCInferenceService.service, {
  // deno-lint-ignore no-explicit-any
  ModelInfer(call: any, callback: any) {
    const request = call.request;
    callback(null, {
      model_name: request.model_name,
      id: request.id,
      outputs: request.inputs.map((
        input: { name: string; datatype: string; shape: string[]; contents?: unknown },
      ) => ({
        name: input.name,
        datatype: input.datatype,
        shape: input.shape,
        contents: input.contents,
      })),
      raw_output_contents: request.raw_input_contents,
    });
  },
});
server.bindAsync(
  `127.0.0.1:${Deno.args[0] ?? 0}`,
  grpc.ServerCredentials.createInsecure(),
  (err, port) => {
    if (err) throw err;
    console.log(`listening ${port}`);
  },
);
