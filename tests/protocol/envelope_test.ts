import assert from "node:assert/strict";
import { InvalidRequestError } from "../../src/errors.ts";
import { checkEnvelope, isValidEnvelope, MAX_PROBLEMS } from "../../src/protocol/envelope.ts";

const input = { name: "x", datatype: "FP32", shape: [1, 2], data: [1, 2] };

/** Envelopes on both sides of every rule; `error` is the message (after the prefix) or null. */
const CASES: { name: string; body: unknown; error: string | RegExp | null }[] = [
  { name: "minimal", body: { inputs: [] }, error: null },
  { name: "one input", body: { inputs: [input] }, error: null },
  {
    name: "everything",
    body: {
      id: "1",
      parameters: { content_type: "np", x: [1] },
      inputs: [{ ...input, parameters: { a: 1 } }],
      outputs: [{ name: "y", parameters: { binary_data: true } }],
    },
    error: null,
  },
  { name: "unknown keys", body: { inputs: [{ ...input, extra: 1 }], extra: true }, error: null },
  {
    name: "data absent (binary input)",
    body: { inputs: [{ name: "x", datatype: "FP32", shape: [1] }] },
    error: null,
  },
  {
    name: "two inputs with different names",
    body: { inputs: [input, { ...input, name: "y" }] },
    error: null,
  },
  { name: "not an object", body: [input], error: "expected a JSON object" },
  { name: "null", body: null, error: "expected a JSON object" },
  { name: "inputs missing", body: {}, error: "inputs: required but missing" },
  { name: "inputs not a list", body: { inputs: {} }, error: "inputs: expected a list" },
  { name: "input not an object", body: { inputs: [1] }, error: "inputs[0]: expected an object" },
  {
    name: "name not a string",
    body: { inputs: [{ ...input, name: 1 }] },
    error: "inputs[0].name: expected a string, got 1",
  },
  {
    name: "name too long",
    body: { inputs: [{ ...input, name: "n".repeat(1025) }] },
    error: "inputs[0].name: longer than 1024 characters",
  },
  { name: "id not a string", body: { id: 1, inputs: [] }, error: "id: expected a string, got 1" },
  {
    name: "unknown datatype",
    body: { inputs: [{ ...input, datatype: "FP8" }] },
    error: /^inputs\[0\]\.datatype: unknown datatype "FP8" \(expected one of BOOL, .*BYTES\)$/,
  },
  {
    name: "lower-case datatype",
    body: { inputs: [{ ...input, datatype: "fp32" }] },
    error: /^inputs\[0\]\.datatype: unknown datatype "fp32"/,
  },
  {
    name: "shape not a list",
    body: { inputs: [{ ...input, shape: 2 }] },
    error: "inputs[0].shape: expected a list",
  },
  {
    name: "negative dimension",
    body: { inputs: [{ ...input, shape: [-1] }] },
    error: "inputs[0].shape[0]: expected a non-negative integer, got -1",
  },
  {
    name: "fractional dimension",
    body: { inputs: [{ ...input, shape: [1.5] }] },
    error: "inputs[0].shape[0]: expected a non-negative integer, got 1.5",
  },
  {
    name: "dimension beyond 2^53",
    body: { inputs: [{ ...input, shape: [0, 2 ** 53] }] },
    error: "inputs[0].shape[1]: expected a non-negative integer, got 9007199254740992",
  },
  {
    name: "string dimension",
    body: { inputs: [{ ...input, shape: ["1"] }] },
    error: 'inputs[0].shape[0]: expected a non-negative integer, got "1"',
  },
  {
    name: "too many dimensions",
    body: { inputs: [{ ...input, shape: new Array(65).fill(1) }] },
    error: "inputs[0].shape: more than 64 dimensions",
  },
  {
    name: "parameters not an object",
    body: { parameters: [], inputs: [] },
    error: "parameters: expected an object",
  },
  {
    name: "content_type not a string",
    body: { parameters: { content_type: 1 }, inputs: [] },
    error: "parameters.content_type: expected a string, got 1",
  },
  {
    name: "input content_type not a string",
    body: { inputs: [{ ...input, parameters: { content_type: false } }] },
    error: "inputs[0].parameters.content_type: expected a string, got false",
  },
  {
    name: "outputs not a list",
    body: { inputs: [], outputs: {} },
    error: "outputs: expected a list",
  },
  {
    name: "output without name",
    body: { inputs: [], outputs: [{}] },
    error: "outputs[0].name: required but missing",
  },
  {
    name: "output parameters not an object",
    body: { inputs: [], outputs: [{ name: "y", parameters: 1 }] },
    error: "outputs[0].parameters: expected an object",
  },
  {
    name: "duplicate input names",
    body: { inputs: [input, { ...input, name: "y" }, input] },
    error: 'inputs[2].name: duplicate input name "x"',
  },
  {
    name: "duplicate input names among many",
    body: {
      inputs: [
        ...Array.from({ length: 20 }, (_, i) => ({ ...input, name: `i${i}` })),
        input,
        input,
      ],
    },
    error: 'inputs[21].name: duplicate input name "x"',
  },
  {
    name: "several problems, all named",
    body: { id: 5, inputs: [{ name: "x", shape: [-2] }] },
    error:
      "id: expected a string, got 5; inputs[0].datatype: required but missing; inputs[0].shape[0]: expected a non-negative integer, got -2",
  },
];

Deno.test("checkEnvelope() accepts valid envelopes and names every problem of invalid ones", async (t) => {
  for (const { name, body, error } of CASES) {
    await t.step(name, () => {
      assert.equal(isValidEnvelope(body), error === null, "the fast check agrees");
      if (error === null) {
        assert.equal(checkEnvelope(body), body);
        return;
      }
      assert.throws(() => checkEnvelope(body), (err: unknown) => {
        assert.ok(err instanceof InvalidRequestError);
        const detail = err.message.replace(/^Invalid inference request: /, "");
        if (typeof error === "string") assert.equal(detail, error);
        else assert.match(detail, error);
        return true;
      });
    });
  }
});

Deno.test("checkEnvelope() bounds the message: the first problems, then a count", () => {
  const body = { inputs: Array.from({ length: 50_000 }, () => ({})) };
  assert.throws(() => checkEnvelope(body), (err: unknown) => {
    assert.ok(err instanceof InvalidRequestError);
    const listed = err.message.split("; ").length - 1; // the last part is the count
    assert.equal(listed, MAX_PROBLEMS);
    assert.match(err.message, /; and 149990 more problem\(s\)$/); // three per input
    assert.ok(err.message.length < 1500, `message of ${err.message.length} characters`);
    return true;
  });
});
