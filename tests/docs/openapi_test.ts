import assert from "node:assert/strict";
import { exampleRequest } from "../../src/docs/openapi.ts";

type Example = { inputs: { name: string; shape: number[]; data: unknown[] }[] };

Deno.test("exampleRequest() spells out declared inputs, and falls back for huge ones", () => {
  const small = exampleRequest([{ name: "x", datatype: "FP32", shape: [-1, 4] }]) as Example;
  assert.deepEqual(small.inputs, [{
    name: "x",
    datatype: "FP32",
    shape: [1, 4],
    data: [0, 0, 0, 0],
  }]);
  // A model may declare a tensor no page should hold (or one past 2^53 elements).
  for (const shape of [[1, 100_000_000], [2 ** 40, 2 ** 40]]) {
    const huge = exampleRequest([{ name: "big", datatype: "FP32", shape }]) as Example;
    assert.ok(huge.inputs.every((input) => input.name !== "big" && input.data.length < 100));
  }
});
