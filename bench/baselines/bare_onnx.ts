/**
 * The ONNX baseline: one bare onnxruntime-node session (the server's own
 * session options) behind the least transport that speaks V2: a
 * `Deno.serve` handler that parses the JSON body, runs the session and
 * writes the JSON answer, or a grpc-js ModelInfer handler on raw contents.
 * Usage: deno run -A bench/baselines/bare_onnx.ts rest|grpc PORT MODEL.onnx
 */
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { onnxOptions } from "../../runtimes/onnx/options.ts";
import { loadOnnxRuntime } from "../../runtimes/onnx/ort.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const [transport, portText, modelPath] = Deno.args;
const port = Number(portText);
const ort = await loadOnnxRuntime();
const options = onnxOptions({}, navigator.hardwareConcurrency);
const session = await ort.InferenceSession.create(modelPath!, options.session);
const inputName = session.inputNames[0]!;
const outputName = session.outputNames[0]!;

async function run(data: Float32Array, shape: number[]): Promise<InstanceType<typeof ort.Tensor>> {
  const results = await session.run({ [inputName]: new ort.Tensor("float32", data, shape) });
  return results[outputName]!;
}

if (transport === "rest") {
  Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (request) => {
    const body = await request.json();
    const input = body.inputs[0];
    const out = await run(Float32Array.from(input.data.flat(Infinity)), input.shape);
    return Response.json({
      model_name: "bare",
      outputs: [{
        name: "predict",
        datatype: "FP32",
        shape: out.dims,
        data: Array.from(out.data as Float32Array),
      }],
    });
  });
} else {
  const root = new URL("../../proto/", import.meta.url).pathname;
  const definition = loadSync(`${root}dataplane.proto`, { keepCase: true });
  const pkg = grpc.loadPackageDefinition(definition) as Any;
  const server = new grpc.Server();
  server.addService(pkg.inference.GRPCInferenceService.service, {
    ModelInfer(call: Any, callback: grpc.sendUnaryData<unknown>) {
      const input = call.request.inputs[0];
      const raw: Buffer = call.request.raw_input_contents[0];
      const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
      run(data, input.shape.map(Number)).then((out) => {
        const values = out.data as Float32Array;
        callback(null, {
          model_name: "bare",
          outputs: [{ name: "predict", datatype: "FP32", shape: out.dims }],
          raw_output_contents: [Buffer.from(values.buffer, values.byteOffset, values.byteLength)],
        });
      }, (err) => callback(err));
    },
  });
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), () => {});
}
