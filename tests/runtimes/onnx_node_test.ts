/**
 * ONNX's node tests (Debian's libonnx-testdata, read from its install path)
 * served by `mlserver_onnx.OnnxModel` and compared with ONNX's expected
 * outputs within 1e-5 relative, over REST (binary extension, and JSON where
 * JSON is exact) and gRPC (raw contents): every test whose inputs and
 * outputs are V2 tensors and that a bare onnxruntime session passes (the
 * rest would test onnxruntime, not us: random ops, window functions, DFT).
 * The slice must cover every V2 datatype and over a hundred operators. A
 * few tests also run in KServe's environment-only layout.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { inferenceClient } from "../_grpc.ts";
import { startServer, withTmpDir, writeModel } from "../_helpers.ts";
import { loadOnnxRuntime } from "../../runtimes/onnx/ort.ts";
import {
  APT_LINE,
  hasNodeTests,
  NODE_TESTS,
  type NodeTest,
  readNodeTests,
} from "./_onnx_node_tests.ts";
import {
  difference,
  inferGrpc,
  inferRest,
  isJsonExact,
  npShape,
  type WireAnswer,
  type WireTensor,
} from "./_onnx_wire.ts";

const installed = await hasNodeTests();
if (!installed) {
  console.log(`SKIP onnx_node_test.ts: ${NODE_TESTS} is missing; install it with: ${APT_LINE}`);
}

const ORT_TYPES: Readonly<Record<string, string>> = {
  FP32: "float32",
  FP64: "float64",
  FP16: "float16",
  INT8: "int8",
  INT16: "int16",
  INT32: "int32",
  INT64: "int64",
  UINT8: "uint8",
  UINT16: "uint16",
  UINT32: "uint32",
  UINT64: "uint64",
  BOOL: "bool",
  BYTES: "string",
};

/** The tests a bare onnxruntime session passes: what the server must pass too. */
async function passingOnBareOnnxRuntime(tests: NodeTest[]): Promise<NodeTest[]> {
  const ort = await loadOnnxRuntime();
  const passing: NodeTest[] = [];
  for (const test of tests) {
    try {
      const session = await ort.InferenceSession.create(test.model, { logSeverityLevel: 4 });
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const input of test.inputs) {
        const tensor = new ort.Tensor(
          ORT_TYPES[input.datatype] as "float32",
          input.data as Float32Array,
          input.shape,
        );
        if (input.data instanceof Float16Array) {
          // See runtimes/onnx/tensors.ts: Deno's Node-API cannot read a Float16Array.
          (tensor as unknown as { cpuData: unknown }).cpuData = new Uint16Array(input.data.buffer);
        }
        feeds[input.name] = tensor;
      }
      const results = await session.run(feeds);
      await session.release();
      const agrees = test.outputs.every((want) => {
        const got = results[want.name]!;
        return difference({ ...want, data: got.data as Float32Array }, want) === undefined;
      });
      if (agrees) passing.push(test);
    } catch {
      // Operators or type combinations onnxruntime does not implement.
    }
  }
  return passing;
}

function check(test: NodeTest, how: string, answer: WireAnswer): string[] {
  if (answer.status !== 200) return [`${test.name} (${how}): ${answer.status} ${answer.error}`];
  const problems: string[] = [];
  for (const want of test.outputs) {
    const got = answer.outputs.find((o) => o.name === want.name);
    if (got === undefined) {
      problems.push(`${test.name} (${how}): no output ${want.name}`);
      continue;
    }
    const shape = JSON.stringify(got.shape) === JSON.stringify(npShape(want.shape));
    const diff = shape ? difference(got, want) : `shape [${got.shape}], expected [${want.shape}]`;
    if (diff !== undefined) problems.push(`${test.name} (${how}) ${want.name}: ${diff}`);
  }
  return problems;
}

const asWire = (tensors: WireTensor[]) => tensors;

Deno.test({
  name: "mlserver_onnx.OnnxModel answers ONNX's node tests over REST and gRPC within 1e-5",
  ignore: !installed,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const all = await readNodeTests();
    // The fork refuses graphs without inputs (test_constant); see onnx_test.ts.
    const tests = await passingOnBareOnnxRuntime(all.filter((test) => test.inputs.length > 0));
    await using dir = await withTmpDir();
    for (const test of tests) {
      await writeModel(dir.path, test.name, {
        name: test.name,
        implementation: "mlserver_onnx.OnnxModel",
        parameters: { uri: test.model },
      });
    }
    await using srv = await startServer(dir.path);
    const client = inferenceClient(srv.server.grpcPort);
    const problems: string[] = [];
    let jsonCases = 0;
    try {
      await t.step(`${tests.length} of ${all.length} tests through REST and gRPC`, async () => {
        for (const test of tests) {
          const names = test.outputs.map((o) => o.name);
          const inputs = asWire(test.inputs);
          problems.push(...check(
            test,
            "REST binary",
            await inferRest(srv.url, test.name, inputs, { outputs: names, binary: true }),
          ));
          if ([...test.inputs, ...test.outputs].every(isJsonExact)) {
            jsonCases++;
            problems.push(
              ...check(
                test,
                "REST JSON",
                await inferRest(srv.url, test.name, inputs, { outputs: names }),
              ),
            );
          }
          problems.push(...check(test, "gRPC", await inferGrpc(client, test.name, inputs, names)));
        }
        assert.deepEqual(problems, []);
      });
    } finally {
      client.close();
    }

    await t.step("the slice covers every V2 datatype and over a hundred operators", () => {
      const datatypes = new Set(
        tests.flatMap((s) => [...s.inputs, ...s.outputs].map((x) => x.datatype)),
      );
      assert.deepEqual([...datatypes].sort(), [
        "BOOL",
        "BYTES",
        "FP16",
        "FP32",
        "FP64",
        "INT16",
        "INT32",
        "INT64",
        "INT8",
        "UINT16",
        "UINT32",
        "UINT64",
        "UINT8",
      ]);
      const ops = new Set(tests.flatMap((s) => s.ops));
      assert.ok(ops.size > 100, `${ops.size} operators`);
      assert.ok(tests.length > 700, `${tests.length} tests`);
      assert.ok(jsonCases > 500, `${jsonCases} JSON cases`);
      console.log(
        `${tests.length} node tests (${ops.size} operators, ${jsonCases} also as JSON) passed; ` +
          `${all.length - tests.length} left out (no inputs, or bare onnxruntime fails them)`,
      );
    });

    await t.step("KServe's environment-only layout: one test per datatype", async () => {
      const seen = new Set<string>();
      const picked = tests.filter((test) => {
        const fresh = test.inputs.some((i) => !seen.has(i.datatype));
        test.inputs.forEach((i) => seen.add(i.datatype));
        return fresh;
      });
      for (const test of picked) {
        await using env = await startServer(join(dir.path, "none"), {
          env: {
            MLSERVER_MODEL_NAME: "node-test",
            MLSERVER_MODEL_IMPLEMENTATION: "mlserver_onnx.OnnxModel",
            MLSERVER_MODEL_URI: test.model,
          },
        });
        const envClient = inferenceClient(env.server.grpcPort);
        try {
          const names = test.outputs.map((o) => o.name);
          const answers = [
            ...check(
              test,
              "env REST",
              await inferRest(env.url, "node-test", test.inputs, { outputs: names, binary: true }),
            ),
            ...check(test, "env gRPC", await inferGrpc(envClient, "node-test", test.inputs, names)),
          ];
          assert.deepEqual(answers, []);
        } finally {
          envClient.close();
        }
      }
      assert.ok(picked.length >= 10, `${picked.length} environment-only cases`);
    });
  },
});
