import assert from "node:assert/strict";
import { isValidEnvelope } from "../../src/protocol/fast_envelope.ts";
import { JsonInferenceRequestSchema } from "../../src/protocol/schemas.ts";

const input = { name: "x", datatype: "FP32", shape: [1, 2], data: [1, 2] };

/** Envelopes on both sides of every rule of the schema. */
const CASES: [string, unknown][] = [
  ["minimal", { inputs: [] }],
  ["one input", { inputs: [input] }],
  ["everything", {
    id: "1",
    parameters: { content_type: "np", x: [1] },
    inputs: [{ ...input, parameters: { a: 1 } }],
    outputs: [{ name: "y", parameters: { binary_data: true } }],
  }],
  ["unknown keys", { inputs: [{ ...input, extra: 1 }], extra: true }],
  ["data absent (binary input)", { inputs: [{ name: "x", datatype: "FP32", shape: [1] }] }],
  ["not an object", [input]],
  ["null", null],
  ["inputs missing", {}],
  ["inputs not a list", { inputs: {} }],
  ["input not an object", { inputs: [1] }],
  ["name not a string", { inputs: [{ ...input, name: 1 }] }],
  ["name too long", { inputs: [{ ...input, name: "n".repeat(1025) }] }],
  ["id not a string", { id: 1, inputs: [] }],
  ["unknown datatype", { inputs: [{ ...input, datatype: "FP8" }] }],
  ["lower-case datatype", { inputs: [{ ...input, datatype: "fp32" }] }],
  ["shape not a list", { inputs: [{ ...input, shape: 2 }] }],
  ["negative dimension", { inputs: [{ ...input, shape: [-1] }] }],
  ["fractional dimension", { inputs: [{ ...input, shape: [1.5] }] }],
  ["dimension beyond 2^53", { inputs: [{ ...input, shape: [0, 2 ** 53] }] }],
  ["dimension of 1e20", { inputs: [{ ...input, shape: [0, 1e20] }] }],
  ["string dimension", { inputs: [{ ...input, shape: ["1"] }] }],
  ["too many dimensions", { inputs: [{ ...input, shape: new Array(65).fill(1) }] }],
  ["parameters not an object", { parameters: [], inputs: [] }],
  ["content_type not a string", { parameters: { content_type: 1 }, inputs: [] }],
  ["input content_type not a string", {
    inputs: [{ ...input, parameters: { content_type: false } }],
  }],
  ["outputs not a list", { inputs: [], outputs: {} }],
  ["output without name", { inputs: [], outputs: [{}] }],
  ["output parameters not an object", { inputs: [], outputs: [{ name: "y", parameters: 1 }] }],
];

Deno.test("isValidEnvelope() agrees with JsonInferenceRequestSchema", async (t) => {
  for (const [name, body] of CASES) {
    await t.step(name, () => {
      assert.equal(isValidEnvelope(body), JsonInferenceRequestSchema.safeParse(body).success);
    });
  }
});
