import assert from "node:assert/strict";
import { type BatchItem, mergeBatch, splitResponse } from "../../src/cli/infer_batch.ts";
import type { InferenceRequest } from "../../src/mod.ts";

function item(index: number, rows: number, extra: Partial<InferenceRequest> = {}): BatchItem {
  const data = Float32Array.from({ length: rows * 2 }, (_, i) => index * 100 + i);
  return {
    index,
    request: {
      id: `r${index}`,
      inputs: [
        { name: "x", datatype: "FP32", shape: [rows, 2], data },
        {
          name: "t",
          datatype: "BYTES",
          shape: [rows],
          data: Array.from({ length: rows }, () => `t${index}`),
        },
      ],
      ...extra,
    },
  };
}

let ids = 0;
const newId = () => `merged-${ids++}`;

Deno.test("mergeBatch() concatenates inputs along the first dimension", () => {
  const [group, ...rest] = mergeBatch(
    [item(0, 1, { parameters: { a: 1, b: 1 } }), item(1, 2, { parameters: { b: 2 } })],
    newId,
  );
  assert.equal(rest.length, 0);
  assert.deepEqual(group!.rows, [1, 2]);
  assert.match(group!.request.id!, /^merged-/);
  assert.deepEqual(group!.request.parameters, { a: 1, b: 2 }); // the later request wins
  const [x, t] = group!.request.inputs;
  assert.deepEqual(x!.shape, [3, 2]);
  assert.deepEqual(Array.from(x!.data as Float32Array), [0, 1, 100, 101, 102, 103]);
  assert.deepEqual(t!.data, ["t0", "t1", "t1"]);
});

Deno.test("mergeBatch() keeps requests that cannot merge in groups of their own", () => {
  const other = item(2, 1);
  other.request.inputs[0]!.shape = [1, 1, 2];
  const groups = mergeBatch([item(0, 1), item(1, 1), other], newId);
  assert.deepEqual(groups.map((g) => g.items.map((i) => i.index)), [[0, 1], [2]]);
  assert.equal(groups[1]!.request.id, "r2"); // a lone request keeps its own id
});

Deno.test("splitResponse() gives each request its rows of every output", () => {
  const [group] = mergeBatch([item(0, 1), item(1, 2)], newId);
  const answers = splitResponse(group!, {
    model_name: "m",
    id: group!.request.id!,
    outputs: [{ name: "y", datatype: "INT64", shape: [3], data: new BigInt64Array([7n, 8n, 9n]) }],
  });
  assert.deepEqual(answers.map((a) => a.id), ["r0", "r1"]);
  assert.deepEqual(answers.map((a) => a.outputs[0]!.shape), [[1], [2]]);
  assert.deepEqual(answers.map((a) => Array.from(a.outputs[0]!.data as BigInt64Array)), [[7n], [
    8n,
    9n,
  ]]);
});

Deno.test("splitResponse() refuses an output whose first dimension is not the batch", () => {
  const [group] = mergeBatch([item(0, 1), item(1, 1)], newId);
  assert.throws(
    () =>
      splitResponse(group!, {
        model_name: "m",
        outputs: [{ name: "total", datatype: "FP32", shape: [1], data: new Float32Array(1) }],
      }),
    /Cannot split output 'total' of shape \[1\] into 2 answers/,
  );
});
