/**
 * The server's hand-written codec against protobufjs (through proto-loader,
 * from our proto/ files): what one encodes, the other must decode.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { InvalidRequestError, ServerError } from "../../src/errors.ts";
import { decodeModelInferRequest, encodeModelInferResponse } from "../../src/grpc/messages.ts";
import {
  decodeNameVersion,
  encodeModelMetadata,
  encodeRepositoryIndex,
  encodeServerMetadata,
} from "../../src/grpc/service_messages.ts";
import type { InferenceResponse } from "../../src/protocol/types.ts";
import { packageDefinition } from "../_grpc.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
const service = () => packageDefinition()["inference.GRPCInferenceService"] as Any;
const encodeRequest = (message: unknown): Uint8Array =>
  new Uint8Array(service().ModelInfer.requestSerialize(message));
const decodeResponse = (bytes: Uint8Array): Any =>
  service().ModelInfer.responseDeserialize(Buffer.from(bytes));

Deno.test("decodeModelInferRequest() reads typed contents of every datatype", async (t) => {
  const cases: { datatype: string; contents: Record<string, unknown>; expected: unknown }[] = [
    {
      datatype: "BOOL",
      contents: { bool_contents: [true, false] },
      expected: new Uint8Array([1, 0]),
    },
    {
      datatype: "INT8",
      contents: { int_contents: [-128, 127] },
      expected: new Int8Array([-128, 127]),
    },
    {
      datatype: "INT16",
      contents: { int_contents: [-32768, 32767] },
      expected: new Int16Array([-32768, 32767]),
    },
    {
      datatype: "INT32",
      contents: { int_contents: [-2147483648, 7] },
      expected: new Int32Array([-2147483648, 7]),
    },
    {
      datatype: "INT64",
      contents: { int64_contents: ["-9223372036854775808", "9007199254740993"] },
      expected: new BigInt64Array([-9223372036854775808n, 9007199254740993n]),
    },
    {
      datatype: "UINT8",
      contents: { uint_contents: [0, 255] },
      expected: new Uint8Array([0, 255]),
    },
    {
      datatype: "UINT16",
      contents: { uint_contents: [65535, 1] },
      expected: new Uint16Array([65535, 1]),
    },
    {
      datatype: "UINT32",
      contents: { uint_contents: [4294967295, 1] },
      expected: new Uint32Array([4294967295, 1]),
    },
    {
      datatype: "UINT64",
      contents: { uint64_contents: ["18446744073709551615", "1"] },
      expected: new BigUint64Array([18446744073709551615n, 1n]),
    },
    {
      datatype: "FP32",
      contents: { fp32_contents: [0.5, -1.5] },
      expected: new Float32Array([0.5, -1.5]),
    },
    {
      datatype: "FP64",
      contents: { fp64_contents: [0.1, NaN] },
      expected: new Float64Array([0.1, NaN]),
    },
    {
      datatype: "BYTES",
      contents: { bytes_contents: [Buffer.from("hé"), Buffer.from([0xff])] },
      expected: [new Uint8Array([0x68, 0xc3, 0xa9]), new Uint8Array([0xff])],
    },
  ];
  for (const c of cases) {
    await t.step(c.datatype, () => {
      const bytes = encodeRequest({
        model_name: "m",
        inputs: [{ name: "x", datatype: c.datatype, shape: ["2"], contents: c.contents }],
      });
      const { request, modelName, raw } = decodeModelInferRequest(bytes);
      assert.equal(modelName, "m");
      assert.equal(raw, false);
      const data = request.inputs[0]!.data;
      if (Array.isArray(c.expected)) {
        assert.deepEqual((data as Uint8Array[]).map((b) => [...b]), c.expected.map((b) => [...b]));
      } else assert.deepEqual(data, c.expected);
    });
  }
});

Deno.test("decodeModelInferRequest() views raw contents and FP16 without copying", () => {
  const values = new Float32Array([1, 2, 3, 4, 5, 6]);
  const half = new Float16Array([0.5, 65504]);
  const bytes = encodeRequest({
    model_name: "m",
    id: "r1",
    inputs: [
      { name: "a", datatype: "FP32", shape: ["2", "3"] },
      { name: "b", datatype: "FP16", shape: ["2"] },
      { name: "c", datatype: "INT32", shape: ["1"], contents: { int_contents: [9] } },
      { name: "d", datatype: "BYTES", shape: ["2"] },
    ],
    raw_input_contents: [
      Buffer.from(values.buffer),
      Buffer.from(half.buffer),
      Buffer.from([2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0]),
    ],
  });
  const { request, raw } = decodeModelInferRequest(bytes);
  assert.equal(raw, true);
  assert.equal(request.id, "r1");
  const [a, b, c, d] = request.inputs;
  assert.deepEqual(a!.data, values);
  assert.deepEqual(a!.shape, [2, 3]);
  assert.deepEqual(b!.data, half);
  assert.deepEqual(
    c!.data,
    new Int32Array([9]),
    "typed and raw inputs mix, raw entries go to inputs without contents",
  );
  assert.deepEqual((d!.data as Uint8Array[]).map((e) => new TextDecoder().decode(e)), ["hi", ""]);
  // Aligned raw data is a view of the message; misaligned data is copied.
  const view = a!.data as Float32Array;
  const at = indexOf(bytes, new Uint8Array(values.buffer));
  assert.equal(view.buffer === bytes.buffer, (bytes.byteOffset + at) % 4 === 0);
  if (view.buffer === bytes.buffer) assert.equal(view.byteOffset, bytes.byteOffset + at);
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test("decodeModelInferRequest() views aligned raw contents in place", () => {
  const values = new Float64Array([1.5, 2.5]);
  // Try each padding of the id so that the raw payload lands on every alignment.
  for (let pad = 0; pad < 8; pad++) {
    const bytes = encodeRequest({
      id: "x".repeat(pad),
      inputs: [{ name: "a", datatype: "FP64", shape: ["2"] }],
      raw_input_contents: [Buffer.from(values.buffer)],
    });
    const data = decodeModelInferRequest(bytes).request.inputs[0]!.data as Float64Array;
    assert.deepEqual(data, values);
    const at = indexOf(bytes, new Uint8Array(values.buffer));
    assert.equal(data.buffer === bytes.buffer, at % 8 === 0, `padding ${pad}`);
  }
});

Deno.test("decodeModelInferRequest() reads parameters of every kind", () => {
  const bytes = encodeRequest({
    model_name: "m",
    parameters: {
      flag: { bool_param: true },
      count: { int64_param: "-5" },
      huge: { int64_param: "9007199254740993" },
      text: { string_param: "x" },
      ratio: { double_param: 0.25 },
      big: { uint64_param: "18446744073709551615" },
    },
    inputs: [],
  });
  assert.deepEqual({ ...decodeModelInferRequest(bytes).request.parameters }, {
    flag: true,
    count: -5,
    huge: "9007199254740993",
    text: "x",
    ratio: 0.25,
    big: "18446744073709551615",
  });
});

Deno.test("decodeModelInferRequest() accepts model_name as the last field (ModelMesh's splice)", () => {
  const body = encodeRequest({
    inputs: [{ name: "x", datatype: "INT32", shape: ["1"], contents: { int_contents: [1] } }],
  });
  const spliced = new Uint8Array([...body, 0x0a, 0x05, ...new TextEncoder().encode("mm-id")]);
  assert.equal(decodeModelInferRequest(spliced).modelName, "mm-id");
  // A later model_name overwrites an earlier one, as protobuf merges do.
  const overwritten = new Uint8Array([
    ...encodeRequest({ model_name: "isvc" }),
    0x0a,
    0x02,
    0x69,
    0x64,
  ]);
  assert.equal(decodeModelInferRequest(overwritten).modelName, "id");
});

/** Hand-encoding for shapes protobufjs never writes (unpacked or split repeated fields). */
const varint = (n: number): number[] => {
  const out: number[] = [];
  for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  return [...out, n];
};
const field = (number: number, bytes: ArrayLike<number>): number[] => [
  ...varint((number << 3) | 2),
  ...varint(bytes.length),
  ...Array.from(bytes),
];
const text = (s: string) => new TextEncoder().encode(s);
const fp32 = (...values: number[]) => new Uint8Array(new Float32Array(values).buffer);
/** A request with one input, its tensor fields given as bytes. */
const oneInput = (name: string, datatype: string, shape: number, contents: number[]) =>
  new Uint8Array(field(5, [
    ...field(1, text(name)),
    ...field(2, text(datatype)),
    ...[0x18, ...varint(shape)], // shape, unpacked
    ...field(5, contents),
  ]));

Deno.test("decodeModelInferRequest() reads contents protobufjs never writes, and large BYTES", () => {
  // INT32 as three unpacked varints (field 2, wire type 0).
  const unpacked = decodeModelInferRequest(
    oneInput("x", "INT32", 3, [0x10, 5, 0x10, 6, 0x10, ...varint(300)]),
  );
  assert.deepEqual(unpacked.request.inputs[0]!.data, new Int32Array([5, 6, 300]));
  // FP32 packed in two chunks (repeated fields may be split and concatenated).
  const split = decodeModelInferRequest(
    oneInput("x", "FP32", 3, [...field(6, fp32(1, 2)), ...field(6, fp32(3))]),
  );
  assert.deepEqual(split.request.inputs[0]!.data, new Float32Array([1, 2, 3]));
  // BYTES: one contents field per element; 200,000 of them once overflowed the call stack.
  const count = 200_000;
  const large = decodeModelInferRequest(encodeRequest({
    inputs: [{
      name: "s",
      datatype: "BYTES",
      shape: [String(count)],
      contents: { bytes_contents: Array.from({ length: count }, () => Buffer.from("ab")) },
    }],
  }));
  const data = large.request.inputs[0]!.data as Uint8Array[];
  assert.equal(data.length, count);
  assert.equal(new TextDecoder().decode(data[count - 1]), "ab");
});

Deno.test("decodeModelInferRequest() rejects bad messages with INVALID_ARGUMENT errors", async (t) => {
  const cases: { name: string; bytes: () => Uint8Array; message: RegExp }[] = [
    {
      name: "truncated varint",
      bytes: () => new Uint8Array([0x0a, 0xff]),
      message: /Malformed protobuf message: truncated varint/,
    },
    {
      name: "length past the end",
      bytes: () => new Uint8Array([0x0a, 0x10, 0x41]),
      message: /field of 16 bytes runs past the end/,
    },
    {
      name: "wrong wire type",
      bytes: () => new Uint8Array([0x08, 0x01]),
      message: /field model_name has wire type 0/,
    },
    {
      name: "invalid UTF-8",
      bytes: () => new Uint8Array([0x0a, 0x01, 0xff]),
      message: /not valid UTF-8/,
    },
    {
      name: "wrong wire type inside an input",
      bytes: () => new Uint8Array(field(5, [0x08, 0x01])),
      message: /field name has wire type 0, expected 2/,
    },
    {
      name: "a double parameter with the wrong wire type",
      // parameters entry { key "p", value { double_param (field 4) as a varint } }
      bytes: () => new Uint8Array(field(4, [...field(1, text("p")), ...field(2, [0x20, 0x01])])),
      message: /field 4 has wire type 0, expected 1/,
    },
    {
      name: "a content_type that is not a string",
      bytes: () =>
        encodeRequest({ parameters: { content_type: { int64_param: "3" } }, inputs: [] }),
      message: /parameters\.content_type/,
    },
    {
      name: "unknown datatype",
      bytes: () => encodeRequest({ inputs: [{ name: "x", datatype: "FP8", shape: ["1"] }] }),
      message: /inputs\[0\]\.datatype: unknown datatype "FP8"/,
    },
    {
      name: "count mismatch",
      bytes: () =>
        encodeRequest({
          inputs: [{ name: "x", datatype: "FP32", shape: ["3"], contents: { fp32_contents: [1] } }],
        }),
      message: /Input 'x': contents have 1 elements, shape needs 3/,
    },
    {
      name: "a huge shape with one element (nothing is allocated for it)",
      bytes: () =>
        encodeRequest({
          inputs: [{
            name: "x",
            datatype: "INT32",
            shape: ["1000000000000"],
            contents: { int_contents: [1] },
          }],
        }),
      message: /Input 'x': contents have 1 elements, shape needs 1000000000000/,
    },
    {
      name: "wrong contents field",
      bytes: () =>
        encodeRequest({
          inputs: [{ name: "x", datatype: "FP32", shape: ["1"], contents: { int_contents: [1] } }],
        }),
      message: /FP32 data belongs in fp32_contents, got int_contents/,
    },
    {
      name: "int out of range",
      bytes: () =>
        encodeRequest({
          inputs: [{
            name: "x",
            datatype: "INT8",
            shape: ["1"],
            contents: { int_contents: [300] },
          }],
        }),
      message: /element 0 is 300, out of range for INT8/,
    },
    {
      name: "raw size mismatch",
      bytes: () =>
        encodeRequest({
          inputs: [{ name: "x", datatype: "FP32", shape: ["2"] }],
          raw_input_contents: [Buffer.alloc(7)],
        }),
      message: /raw data has 7 bytes, shape \[2\] of FP32 needs 8/,
    },
    {
      name: "raw BYTES length past the end",
      bytes: () =>
        encodeRequest({
          inputs: [{ name: "x", datatype: "BYTES", shape: ["1"] }],
          raw_input_contents: [Buffer.from([9, 0, 0, 0, 1])],
        }),
      message: /element 0 claims 9 bytes, only 1 remain/,
    },
    {
      name: "no data",
      bytes: () => encodeRequest({ inputs: [{ name: "x", datatype: "FP32", shape: ["2"] }] }),
      message: /Input 'x': no data/,
    },
    {
      name: "extra raw entries",
      bytes: () => encodeRequest({ inputs: [], raw_input_contents: [Buffer.alloc(4)] }),
      message: /raw_input_contents has 1 entries but only 0 inputs/,
    },
    {
      name: "FP16 typed",
      bytes: () =>
        encodeRequest({
          inputs: [{ name: "x", datatype: "FP16", shape: ["1"], contents: { fp32_contents: [1] } }],
        }),
      message: /FP16 has no typed contents field; send it in raw_input_contents/,
    },
    {
      name: "negative dimension",
      bytes: () => encodeRequest({ inputs: [{ name: "x", datatype: "FP32", shape: ["-1"] }] }),
      message: /inputs\[0\]\.shape\[0\]: expected a non-negative integer/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => decodeModelInferRequest(c.bytes()), (err: unknown) => {
        assert.ok(err instanceof InvalidRequestError, String(err));
        assert.match(err.message, c.message);
        return true;
      });
    });
  }
});

Deno.test("encodeModelInferResponse() mixes referenced large payloads with small fields in order", () => {
  // Large contents (>= 512 bytes) are referenced, small fields share one
  // growing buffer: every byte must still come out in field order.
  const big = Float32Array.from({ length: 1000 }, (_, i) => i / 4);
  const long = "x".repeat(700);
  const response: InferenceResponse = {
    model_name: "m".repeat(200),
    outputs: [
      { name: "a", datatype: "FP32", shape: [1000], data: big },
      { name: "b", datatype: "BYTES", shape: [2], data: [long, "y"] },
      { name: "c".repeat(300), datatype: "INT32", shape: [1], data: new Int32Array([7]) },
      { name: "d", datatype: "FP32", shape: [1000], data: big },
    ],
  };
  for (const raw of [false, true]) {
    const decoded = decodeResponse(encodeModelInferResponse(response, raw));
    assert.equal(decoded.model_name, "m".repeat(200));
    assert.deepEqual(decoded.outputs.map((o: Any) => o.name), ["a", "b", "c".repeat(300), "d"]);
    if (raw) {
      assert.equal(decoded.raw_output_contents[3].length, 4000);
      continue;
    }
    assert.deepEqual(decoded.outputs[0].contents.fp32_contents, Array.from(big));
    assert.equal(decoded.outputs[1].contents.bytes_contents[0].toString(), long);
    assert.deepEqual(decoded.outputs[2].contents.int_contents, [7]);
    assert.deepEqual(decoded.outputs[3].contents.fp32_contents, Array.from(big));
  }
});

Deno.test("encodeModelInferResponse() is read back by protobufjs, typed and raw", async (t) => {
  const response: InferenceResponse = {
    model_name: "m",
    model_version: "2",
    id: "r",
    parameters: {
      content_type: "np",
      flag: false,
      n: 3,
      ratio: 1.5,
      huge: 2n ** 63n + 5n,
      negative: -(2n ** 62n),
      nested: { dropped: true },
      headers: { x: "y" },
    },
    outputs: [
      { name: "f", datatype: "FP32", shape: [2], data: new Float32Array([0.5, -2]) },
      { name: "i", datatype: "INT32", shape: [2], data: new Int32Array([-1, 300]) },
      { name: "l", datatype: "INT64", shape: [1], data: new BigInt64Array([-9007199254740993n]) },
      {
        name: "u",
        datatype: "UINT64",
        shape: [1],
        data: new BigUint64Array([18446744073709551615n]),
      },
      { name: "b", datatype: "BOOL", shape: [2], data: new Uint8Array([1, 0]) },
      { name: "s", datatype: "BYTES", shape: [2], data: ["é", new Uint8Array([0xff])] },
      { name: "d", datatype: "FP64", shape: [1, 1], data: [[0.25]] },
    ],
  };
  await t.step("typed", () => {
    const decoded = decodeResponse(encodeModelInferResponse(response, false));
    assert.equal(decoded.model_name, "m");
    assert.equal(decoded.model_version, "2");
    assert.equal(decoded.id, "r");
    assert.deepEqual(decoded.parameters, {
      content_type: { string_param: "np", parameter_choice: "string_param" },
      flag: { bool_param: false, parameter_choice: "bool_param" },
      n: { int64_param: "3", parameter_choice: "int64_param" },
      ratio: { double_param: 1.5, parameter_choice: "double_param" },
      huge: { uint64_param: "9223372036854775813", parameter_choice: "uint64_param" },
      negative: { int64_param: "-4611686018427387904", parameter_choice: "int64_param" },
    });
    const [f, i, l, u, b, s, d] = decoded.outputs;
    assert.deepEqual(f.contents.fp32_contents, [0.5, -2]);
    assert.deepEqual(f.shape, ["2"]);
    assert.deepEqual(i.contents.int_contents, [-1, 300]);
    assert.deepEqual(l.contents.int64_contents, ["-9007199254740993"]);
    assert.deepEqual(u.contents.uint64_contents, ["18446744073709551615"]);
    assert.deepEqual(b.contents.bool_contents, [true, false]);
    assert.deepEqual(s.contents.bytes_contents.map((x: Buffer) => [...x]), [[0xc3, 0xa9], [0xff]]);
    assert.deepEqual(d.contents.fp64_contents, [0.25]);
    assert.deepEqual(d.shape, ["1", "1"]);
    assert.equal(decoded.raw_output_contents, undefined);
  });
  await t.step("raw", () => {
    const decoded = decodeResponse(encodeModelInferResponse(response, true));
    assert.equal(decoded.outputs[0].contents, undefined);
    assert.equal(decoded.raw_output_contents.length, 7);
    assert.deepEqual(
      new Float32Array(new Uint8Array(decoded.raw_output_contents[0]).buffer),
      new Float32Array([0.5, -2]),
    );
    assert.deepEqual([...decoded.raw_output_contents[5]], [
      2,
      0,
      0,
      0,
      0xc3,
      0xa9,
      1,
      0,
      0,
      0,
      0xff,
    ]);
  });
  await t.step("FP16 cannot be typed", () => {
    assert.throws(
      () =>
        encodeModelInferResponse({
          model_name: "m",
          outputs: [{ name: "h", datatype: "FP16", shape: [1], data: new Float16Array(1) }],
        }, false),
      {
        name: "InvalidRequestError",
        message: /Output 'h' is FP16, which has no typed contents field/,
      },
    );
  });
});

Deno.test("metadata and index messages are read back by protobufjs", () => {
  const s = service();
  assert.deepEqual(
    s.ServerMetadata.responseDeserialize(
      Buffer.from(
        encodeServerMetadata({ name: "mlserver", version: "1.0", extensions: ["a", ""] }),
      ),
    ),
    {
      name: "mlserver",
      version: "1.0",
      extensions: ["a", ""],
    },
  );
  const metadata = s.ModelMetadata.responseDeserialize(Buffer.from(encodeModelMetadata({
    name: "m",
    versions: ["v1"],
    platform: "p",
    inputs: [{ name: "x", datatype: "FP32", shape: [-1, 4], parameters: { content_type: "np" } }],
    outputs: [],
    parameters: { content_type: "pd" },
  })));
  assert.deepEqual(metadata.inputs[0].shape, ["-1", "4"]);
  assert.equal(metadata.inputs[0].parameters.content_type.string_param, "np");
  assert.equal(metadata.parameters.content_type.string_param, "pd");
  const index = s.RepositoryIndex.responseDeserialize(Buffer.from(encodeRepositoryIndex([
    { name: "a", state: "READY", reason: "" },
    { name: "b", version: "2", state: "UNAVAILABLE", reason: "broken" },
  ])));
  assert.deepEqual(index.models, [{ name: "a", state: "READY" }, {
    name: "b",
    version: "2",
    state: "UNAVAILABLE",
    reason: "broken",
  }]);
  const request = s.ModelReady.requestSerialize({ name: "m", version: "3" });
  assert.deepEqual(decodeNameVersion(new Uint8Array(request)), { name: "m", version: "3" });
});

Deno.test("decodeModelInferRequest() refuses what its size cannot justify before allocating it", async (t) => {
  const over = 600_000; // past the 524,288 objects any small message may create
  const repeated = (pattern: number[], count: number, head: number[] = []) => {
    const out = new Uint8Array(head.length + count * pattern.length);
    out.set(head);
    for (let i = 0; i < count; i++) out.set(pattern, head.length + i * pattern.length);
    return out;
  };
  const cases: { name: string; bytes: () => Uint8Array; message: RegExp }[] = [
    {
      name: "empty bytes_contents past the budget",
      bytes: () => {
        const contents = Array.from(repeated([0x42, 0x00], over));
        return oneInput("s", "BYTES", over, contents);
      },
      message:
        /^Input 's': 600000 BYTES elements: decoding this \d+-byte message would create more than 524288 objects/,
    },
    {
      name: "empty inputs",
      bytes: () => repeated([0x2a, 0x00], over),
      message: /^Invalid inference request: inputs: decoding this/,
    },
    {
      name: "empty raw_input_contents",
      bytes: () => repeated([0x3a, 0x00], over),
      message: /raw_input_contents: decoding this/,
    },
    {
      name: "a packed shape of a million dimensions",
      bytes: () => new Uint8Array(field(5, field(3, new Array(1_000_000).fill(1)))),
      message: /a shape has more than 64 dimensions/,
    },
    {
      name: "a length of 2^32 + 5 is not read as 5",
      bytes: () =>
        new Uint8Array([0x0a, 0x85, 0x80, 0x80, 0x80, 0x10, 0x61, 0x62, 0x63, 0x64, 0x65]),
      message: /field of 4294967301 bytes runs past the end/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => decodeModelInferRequest(c.bytes()), (err: unknown) => {
        assert.ok(err instanceof ServerError, String(err));
        assert.match(err.message, c.message);
        return true;
      });
    });
  }
  await t.step("BYTES within the budget decode, and so does numeric data of any count", () => {
    const count = 100_000;
    const bytes = decodeModelInferRequest(
      oneInput("s", "BYTES", count, Array.from(repeated([0x42, 0x00], count))),
    );
    assert.equal((bytes.request.inputs[0]!.data as Uint8Array[]).length, count);
    const many = 1_000_000;
    const ints = decodeModelInferRequest(
      oneInput("x", "INT32", many, Array.from(repeated([0x10, 0x03], many))),
    );
    assert.equal((ints.request.inputs[0]!.data as Int32Array).length, many);
  });
});
