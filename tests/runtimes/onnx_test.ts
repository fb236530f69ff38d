/**
 * `mlserver_onnx.OnnxModel` on the graphs of tests/fixtures/onnx/make_graphs.py,
 * with the real onnxruntime-node: the fork's input matching, default and
 * requested outputs, metadata, every V2 datatype, zero-copy feeds, load
 * failures, and `parameters.extra` reaching onnxruntime.
 */
import assert from "node:assert/strict";
import { type InferenceRequest, type RequestInput, resolveModelSettings } from "mlserver";
import { OnnxModel } from "../../runtimes/onnx/mod.ts";
import { loadOnnxRuntime } from "../../runtimes/onnx/ort.ts";
import { pack4, toOrtTensor, unpack4 } from "../../runtimes/onnx/tensors.ts";
import { fixture, withTmpDir } from "../_helpers.ts";

const graph = (name: string) => fixture("onnx", "graphs", `${name}.onnx`);

async function loaded(
  name: string,
  extra: Record<string, unknown> = {},
  more = {},
): Promise<OnnxModel> {
  const model = new OnnxModel(
    resolveModelSettings({ name, parameters: { uri: graph(name), extra }, ...more }),
  );
  assert.equal(await model.load(), true);
  return model;
}

const fp32 = (name: string, data: number[], shape = [1, data.length]): RequestInput => ({
  name,
  datatype: "FP32",
  shape,
  data: Float32Array.from(data),
});

const A = [1, 2, 3, 4];
const B = [0.5, 0.5, 2, -1];

Deno.test("OnnxModel.predict() matches inputs by name, in any order, ignoring extra ones", async () => {
  const model = await loaded("multi_io");
  const request: InferenceRequest = {
    inputs: [fp32("b", B), fp32("unused", [9]), fp32("a", A)],
    outputs: [{ name: "sum" }, { name: "product" }],
  };
  const { outputs } = await model.predict(request);
  assert.deepEqual(outputs.map((o) => o.name), ["sum", "product"]);
  assert.deepEqual(Array.from(outputs[0]!.data as Float32Array), [1.5, 2.5, 5, 3]);
  assert.deepEqual(Array.from(outputs[1]!.data as Float32Array), [0.5, 1, 6, -4]);
});

Deno.test("OnnxModel.predict() matches by position when no name matches and the counts agree", async () => {
  const model = await loaded("multi_io");
  const { outputs } = await model.predict({
    inputs: [fp32("input-0", A), fp32("input-1", B)],
    outputs: [{ name: "product" }],
  });
  assert.deepEqual(Array.from(outputs[0]!.data as Float32Array), [0.5, 1, 6, -4]);
});

Deno.test("OnnxModel.predict() names the missing inputs when neither names nor counts match", async () => {
  const model = await loaded("multi_io");
  await assert.rejects(
    model.predict({ inputs: [fp32("a", A)] }),
    (err: Error) => {
      assert.equal(err.name, "InferenceError");
      assert.match(
        err.message,
        /Model expects input\(s\) named \["a","b"\] but received \["a"\]\. Missing: \["b"\]/,
      );
      return true;
    },
  );
});

Deno.test("OnnxModel.predict() answers the first output as `predict` by default", async () => {
  const model = await loaded("multi_io");
  const { outputs } = await model.predict({ inputs: [fp32("a", A), fp32("b", B)] });
  assert.equal(outputs.length, 1);
  assert.equal(outputs[0]!.name, "predict");
  assert.deepEqual(Array.from(outputs[0]!.data as Float32Array), [1.5, 2.5, 5, 3]);
  assert.deepEqual(outputs[0]!.parameters, { content_type: "np" });
});

Deno.test("OnnxModel.predict() answers `predict` and graph outputs together, and refuses others", async () => {
  const model = await loaded("multi_io");
  const inputs = [fp32("a", A), fp32("b", B)];
  const { outputs } = await model.predict({
    inputs,
    outputs: [{ name: "product" }, { name: "predict" }],
  });
  assert.deepEqual(outputs.map((o) => o.name), ["product", "predict"]);
  assert.deepEqual(Array.from(outputs[1]!.data as Float32Array), [1.5, 2.5, 5, 3]);
  await assert.rejects(
    model.predict({ inputs, outputs: [{ name: "quotient" }] }),
    /OnnxModel only supports 'predict' or model outputs \(quotient was received\)/,
  );
});

Deno.test("OnnxModel.metadata() comes from the graph (dynamic dimensions as -1) unless settings declare it", async () => {
  const model = await loaded("multi_io");
  const metadata = await model.metadata();
  assert.deepEqual(metadata.inputs, [
    { name: "a", datatype: "FP32", shape: [-1, 4] },
    { name: "b", datatype: "FP32", shape: [-1, 4] },
  ]);
  assert.deepEqual(metadata.outputs?.map((o) => o.name), ["sum", "product"]);
  const declared = await loaded("multi_io", {}, {
    inputs: [{ name: "a", datatype: "FP32", shape: [2, 4] }],
  });
  const withSettings = await declared.metadata();
  assert.deepEqual(withSettings.inputs, [{ name: "a", datatype: "FP32", shape: [2, 4] }]);
  assert.equal(withSettings.outputs?.length, 2, "outputs still from the graph");
});

const ALL_TYPES: { type: string; input: RequestInput }[] = [
  {
    type: "bool",
    input: { name: "x_bool", datatype: "BOOL", shape: [3], data: Uint8Array.from([1, 0, 1]) },
  },
  {
    type: "uint8",
    input: { name: "x_uint8", datatype: "UINT8", shape: [3], data: Uint8Array.from([0, 7, 255]) },
  },
  {
    type: "uint16",
    input: {
      name: "x_uint16",
      datatype: "UINT16",
      shape: [3],
      data: Uint16Array.from([0, 7, 65535]),
    },
  },
  {
    type: "uint32",
    input: {
      name: "x_uint32",
      datatype: "UINT32",
      shape: [3],
      data: Uint32Array.from([0, 7, 4294967295]),
    },
  },
  {
    type: "uint64",
    input: {
      name: "x_uint64",
      datatype: "UINT64",
      shape: [3],
      data: BigUint64Array.from([0n, 7n, 2n ** 64n - 1n]),
    },
  },
  {
    type: "int8",
    input: { name: "x_int8", datatype: "INT8", shape: [3], data: Int8Array.from([-128, 0, 127]) },
  },
  {
    type: "int16",
    input: {
      name: "x_int16",
      datatype: "INT16",
      shape: [3],
      data: Int16Array.from([-32768, 0, 32767]),
    },
  },
  {
    type: "int32",
    input: {
      name: "x_int32",
      datatype: "INT32",
      shape: [3],
      data: Int32Array.from([-(2 ** 31), 0, 2 ** 31 - 1]),
    },
  },
  {
    type: "int64",
    input: {
      name: "x_int64",
      datatype: "INT64",
      shape: [3],
      data: BigInt64Array.from([-(2n ** 63n), 0n, 2n ** 63n - 1n]),
    },
  },
  {
    type: "float16",
    input: {
      name: "x_float16",
      datatype: "FP16",
      shape: [3],
      data: Float16Array.from([-1.5, 0, 65504]),
    },
  },
  {
    type: "float",
    input: {
      name: "x_float",
      datatype: "FP32",
      shape: [3],
      data: Float32Array.from([-1.5, NaN, 3.25]),
    },
  },
  {
    type: "double",
    input: {
      name: "x_double",
      datatype: "FP64",
      shape: [3],
      data: Float64Array.from([-1e300, Infinity, 0.1]),
    },
  },
  {
    type: "string",
    input: {
      name: "x_string",
      datatype: "BYTES",
      shape: [3],
      data: ["a", new TextEncoder().encode("ü"), ""],
    },
  },
];

Deno.test("OnnxModel.predict() carries every V2 datatype through the graph and back", async (t) => {
  const model = await loaded("all_types");
  const { outputs } = await model.predict({
    inputs: ALL_TYPES.map((c) => c.input),
    outputs: ALL_TYPES.map((c) => ({ name: `y_${c.type}` })),
  });
  for (const [i, { type, input }] of ALL_TYPES.entries()) {
    await t.step(type, () => {
      const output = outputs[i]!;
      assert.equal(output.datatype, input.datatype);
      assert.deepEqual(output.shape, [3, 1], "a 1-D result is [N, 1] (np codec)");
      const want = input.datatype === "BYTES"
        ? ["a", "ü", ""]
        : Array.from(input.data as ArrayLike<unknown>);
      assert.deepEqual(Array.from(output.data as ArrayLike<unknown>), want);
    });
  }
});

Deno.test("toOrtTensor() hands matching typed arrays over without copying, and converts the rest", async () => {
  const ort = await loadOnnxRuntime();
  const slab = new Float32Array(8);
  const view = new Float32Array(slab.buffer, 8, 4);
  view.set([1, 2, 3, 4]);
  const same = toOrtTensor(
    ort,
    { name: "x", datatype: "FP32", shape: [1, 4], data: view },
    "float32",
  );
  assert.equal(same.data, view, "the request's own view, byte offset kept");
  const half = Float16Array.from([1, 2]);
  const f16 = toOrtTensor(ort, { name: "x", datatype: "FP16", shape: [2], data: half }, "float16");
  const bits = (f16 as unknown as { cpuData: Uint16Array }).cpuData;
  assert.equal(bits.buffer, half.buffer, "FP16 as a Uint16Array view of the same bytes");
  const converted = toOrtTensor(ort, {
    name: "x",
    datatype: "FP64",
    shape: [2],
    data: Float64Array.from([0.5, 2]),
  }, "float32");
  assert.ok(converted.data instanceof Float32Array);
  assert.deepEqual(Array.from(converted.data as Float32Array), [0.5, 2]);
  const big = toOrtTensor(ort, {
    name: "x",
    datatype: "INT32",
    shape: [2],
    data: Int32Array.from([-3, 4]),
  }, "int64");
  assert.deepEqual(Array.from(big.data as BigInt64Array), [-3n, 4n]);
  assert.throws(
    () => toOrtTensor(ort, { name: "x", datatype: "BYTES", shape: [1], data: ["a"] }, "float32"),
    /Input 'x' is BYTES, the model takes FP32/,
  );
});

Deno.test("pack4() and unpack4() keep INT4 and UINT4 values, two to a byte, low nibble first", () => {
  const signed = Int8Array.from([-8, -1, 0, 7, 3]);
  const packed = pack4(signed);
  assert.deepEqual(Array.from(packed), [0xf8, 0x70, 0x03]);
  assert.deepEqual(Array.from(unpack4(packed, 5, true)), [-8, -1, 0, 7, 3]);
  assert.deepEqual(Array.from(unpack4(pack4(Uint8Array.from([15, 0, 9])), 3, false)), [15, 0, 9]);
});

Deno.test("OnnxModel.predict() turns onnxruntime's refusals into 400s", async () => {
  const model = await loaded("multi_io");
  await assert.rejects(
    model.predict({ inputs: [fp32("a", [1, 2, 3], [1, 3]), fp32("b", [1, 2, 3], [1, 3])] }),
    (err: Error) =>
      err.name === "InferenceError" && /ONNX inference failed: .*dimensions/.test(err.message),
  );
});

const LOAD_FAILURES = [
  {
    name: "a file that is not ONNX",
    write: (path: string) => Deno.writeTextFile(path, "not a model"),
    extra: {},
    error: /Failed to load ONNX model from '.*model\.onnx'/,
  },
  {
    name: "a graph without inputs (the fork refuses it)",
    write: (path: string) => Deno.copyFile(graph("no_inputs"), path),
    extra: {},
    error: /ONNX model has no inputs/,
  },
  {
    name: "an unknown session option",
    write: (path: string) => Deno.copyFile(graph("multi_io"), path),
    extra: { session_options: { intra_op_threads: 2 } },
    error: /OnnxModel session option 'intra_op_threads' is not supported/,
  },
  {
    name: "an unknown execution provider",
    write: (path: string) => Deno.copyFile(graph("multi_io"), path),
    extra: { providers: ["NoSuchExecutionProvider"] },
    error: /NoSuchExecutionProvider/,
  },
  {
    name: "session_config_entries reach onnxruntime (ORT format expected)",
    write: (path: string) => Deno.copyFile(graph("multi_io"), path),
    extra: { session_config_entries: { "session.load_model_format": "ORT" } },
    error: /ORT model verification failed/,
  },
];

Deno.test("OnnxModel.load() fails with the reason", async (t) => {
  for (const failure of LOAD_FAILURES) {
    await t.step(failure.name, async () => {
      await using dir = await withTmpDir();
      const path = `${dir.path}/model.onnx`;
      await failure.write(path);
      const model = new OnnxModel(resolveModelSettings({
        name: "m",
        parameters: { uri: dir.path, extra: failure.extra as Record<string, unknown> },
      }));
      await assert.rejects(model.load(), (err: Error) => {
        assert.equal(err.name, "RuntimeLoadError");
        assert.match(err.message, failure.error);
        return true;
      });
    });
  }
});

Deno.test("OnnxModel honours the fork's parameters.extra keys", async () => {
  const model = await loaded("multi_io", {
    providers: ["CPUExecutionProvider"],
    provider_options: [{ use_arena: false }],
    session_options: { intra_op_num_threads: 1, graph_optimization_level: 99, execution_mode: 0 },
    session_config_entries: { "session.set_denormal_as_zero": "1" },
    run_options: { log_severity_level: 3, logid: "tagged" },
  });
  const { outputs } = await model.predict({ inputs: [fp32("a", A), fp32("b", B)] });
  assert.deepEqual(Array.from(outputs[0]!.data as Float32Array), [1.5, 2.5, 5, 3]);
  assert.equal(await model.unload(), true);
  await assert.rejects(model.predict({ inputs: [] }), /not loaded/);
});
