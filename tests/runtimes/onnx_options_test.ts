/**
 * The pieces of the ONNX runtime that need no onnxruntime: the fork's
 * `parameters.extra` translated to onnxruntime-node options, and the ZipMap
 * rewrite of scikit-learn exports.
 */
import assert from "node:assert/strict";
import { readFields, readStrings, replaceZipMaps } from "../../runtimes/onnx/onnx_proto.ts";
import { onnxOptions } from "../../runtimes/onnx/options.ts";
import { fixture } from "../_helpers.ts";

Deno.test("onnxOptions() defaults: CPU, half the cores intra-op, one inter-op, no spinning", () => {
  const { session, run } = onnxOptions({}, 8);
  assert.deepEqual(session, {
    executionProviders: ["cpu"],
    intraOpNumThreads: 4,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    extra: { "session.intra_op.allow_spinning": "0", "session.inter_op.allow_spinning": "0" },
  });
  assert.deepEqual(run, {});
  assert.equal(onnxOptions({}, 1).session.intraOpNumThreads, 1, "at least one thread");
});

Deno.test("onnxOptions() translates the fork's keys", () => {
  const { session, run } = onnxOptions({
    providers: ["CUDAExecutionProvider", "CPUExecutionProvider"],
    provider_options: [{ device_id: 1 }, {}],
    session_options: {
      intra_op_num_threads: 3,
      graph_optimization_level: 99,
      execution_mode: 1,
      enable_mem_pattern: 0,
      log_severity_level: 2,
    },
    session_config_entries: {
      "session.intra_op.allow_spinning": 1,
      "session.disable_prepacking": "1",
    },
    run_options: { log_severity_level: 4, logid: "req" },
  }, 2);
  assert.deepEqual(session.executionProviders, [{ deviceId: 1, name: "cuda" }, { name: "cpu" }]);
  assert.equal(session.intraOpNumThreads, 3);
  assert.equal(session.graphOptimizationLevel, "all");
  assert.equal(session.executionMode, "parallel");
  assert.equal(session.enableMemPattern, false);
  assert.equal(session.logSeverityLevel, 2);
  assert.deepEqual(session.extra, {
    "session.intra_op.allow_spinning": "1",
    "session.inter_op.allow_spinning": "0",
    "session.disable_prepacking": "1",
  });
  assert.deepEqual(run, { logSeverityLevel: 4, tag: "req" });
});

const REFUSED: { name: string; extra: Record<string, unknown>; error: RegExp }[] = [
  { name: "empty providers", extra: { providers: [] }, error: /non-empty list of strings/ },
  {
    name: "a provider_options dict with two providers",
    extra: { providers: ["CPUExecutionProvider", "CUDAExecutionProvider"], provider_options: {} },
    error: /dict requires a single provider/,
  },
  {
    name: "provider_options of another length",
    extra: { provider_options: [{}, {}] },
    error: /must match providers length/,
  },
  {
    name: "an unknown session option",
    extra: { session_options: { threads: 1 } },
    error: /session option 'threads' is not supported/,
  },
  {
    name: "an unknown run option",
    extra: { run_options: { timeout: 1 } },
    error: /run option 'timeout' is not supported/,
  },
  {
    name: "a bad level",
    extra: { session_options: { graph_optimization_level: 5 } },
    error: /must be 0, 1, 2 or 99/,
  },
  {
    name: "a non-integer thread count",
    extra: { session_options: { inter_op_num_threads: "2" } },
    error: /must be an integer/,
  },
  {
    name: "session_config_entries as a list",
    extra: { session_config_entries: [] },
    error: /must be a dict/,
  },
];

Deno.test("onnxOptions() refuses what neither runtime supports", async (t) => {
  for (const c of REFUSED) {
    await t.step(c.name, () => assert.throws(() => onnxOptions(c.extra, 2), c.error));
  }
});

Deno.test("replaceZipMaps() turns a ZipMap into an Identity of its probability tensor", async () => {
  const model = await Deno.readFile(fixture("onnx", "sklearn", "random_forest.onnx"));
  const replaced = replaceZipMaps(model)!;
  assert.deepEqual([...replaced.labels], [["output_probability", [0n, 1n, 2n]]]);
  const graph = readFields(readFields(replaced.model).find((f) => f.number === 7)!.bytes);
  const ops = graph.filter((f) => f.number === 1).map((f) =>
    readStrings(readFields(f.bytes), 4)[0]
  );
  assert.deepEqual(ops, ["TreeEnsembleClassifier", "Identity"]);
  const outputs = graph.filter((f) => f.number === 12).map((f) =>
    readStrings(readFields(f.bytes), 1)[0]
  );
  assert.deepEqual(outputs, ["output_label", "output_probability"], "names and order kept");
  const linear = await Deno.readFile(fixture("onnx", "sklearn", "linear_regression.onnx"));
  assert.equal(replaceZipMaps(linear), undefined, "nothing to replace");
});
