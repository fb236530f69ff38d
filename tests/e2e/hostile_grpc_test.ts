/**
 * Hostile gRPC calls, end to end: malformed protobuf, envelopes that break
 * the rules, data that disagrees with its shape, huge declared shapes,
 * messages whose decoded form would dwarf their size, 64-bit extremes, and
 * the other RPCs. grpc-js builds the well-formed messages; hand-written
 * bytes the rest. Every call ends with its status code, a short message
 * without stack traces or paths, and a server that still answers.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { call, callRaw, grpc, inferenceClient } from "../_grpc.ts";
import { startServer, withTmpDir } from "../_helpers.ts";
import {
  assertAlive,
  assertCleanMessage,
  hostileModels,
  pb,
  pbInput,
  pbRequest,
} from "./_hostile.ts";

const S = grpc.status;
const INFER = "/inference.GRPCInferenceService/ModelInfer";

/** A call built by grpc-js from a plain object. */
interface ClientCase {
  name: string;
  method?: string;
  request: Record<string, unknown>;
  code: number;
  details?: RegExp;
  /** Checks of a successful response. */
  check?: (response: Record<string, unknown>) => void;
}

/** A call whose message bytes are written by hand. */
interface RawCase {
  name: string;
  path?: string;
  bytes: () => Uint8Array;
  code: number;
  details?: RegExp;
}

const fp32 = (name: string, shape: string[], values: number[]) => ({
  name,
  datatype: "FP32",
  shape,
  contents: { fp32_contents: values },
});

const CLIENT: ClientCase[] = [
  {
    name: "an unknown model",
    request: { model_name: "ghost", inputs: [] },
    code: S.NOT_FOUND,
    details: /^Model ghost not found$/,
  },
  {
    name: "a traversal as a model name",
    request: { model_name: "../../etc/passwd", inputs: [] },
    code: S.NOT_FOUND,
    details: /not found/,
  },
  {
    name: "a model name of 60,000 characters",
    request: { model_name: "m".repeat(60_000), inputs: [] },
    code: S.NOT_FOUND,
    details: /^Model m{256}… not found$/,
  },
  {
    name: "an unknown datatype",
    request: { model_name: "echo", inputs: [{ name: "x", datatype: "FP8", shape: ["1"] }] },
    code: S.INVALID_ARGUMENT,
    details: /inputs\[0\]\.datatype: unknown datatype "FP8"/,
  },
  {
    name: "a lower-case datatype",
    request: {
      model_name: "echo",
      inputs: [fp32("x", ["1"], [1])].map((i) => ({ ...i, datatype: "fp32" })),
    },
    code: S.INVALID_ARGUMENT,
    details: /unknown datatype "fp32"/,
  },
  {
    name: "too few values",
    request: { model_name: "echo", inputs: [fp32("x", ["3"], [1])] },
    code: S.INVALID_ARGUMENT,
    details: /Input 'x': contents have 1 elements, shape needs 3/,
  },
  {
    name: "too many values",
    request: { model_name: "echo", inputs: [fp32("x", ["1"], [1, 2])] },
    code: S.INVALID_ARGUMENT,
    details: /contents have 2 elements, shape needs 1/,
  },
  {
    name: "a trillion elements declared, one sent",
    request: {
      model_name: "echo",
      inputs: [{
        name: "x",
        datatype: "INT32",
        shape: ["1000000000000"],
        contents: { int_contents: [1] },
      }],
    },
    code: S.INVALID_ARGUMENT,
    details: /contents have 1 elements, shape needs 1000000000000/,
  },
  {
    name: "2^93 elements declared",
    request: {
      model_name: "echo",
      inputs: [fp32("x", ["2147483648", "2147483648", "2147483648"], [1])],
    },
    code: S.INVALID_ARGUMENT,
    details: /holds too many elements/,
  },
  {
    name: "a billion BYTES declared, one sent",
    request: {
      model_name: "echo",
      inputs: [{
        name: "s",
        datatype: "BYTES",
        shape: ["1000000000"],
        contents: { bytes_contents: [Buffer.from("a")] },
      }],
    },
    code: S.INVALID_ARGUMENT,
    details: /Input 's': contents have 1 elements, shape needs 1000000000/,
  },
  {
    name: "a negative dimension",
    request: { model_name: "echo", inputs: [fp32("x", ["-1"], [1])] },
    code: S.INVALID_ARGUMENT,
    details: /shape\[0\]: expected a non-negative integer, got -1/,
  },
  {
    name: "65 dimensions",
    request: { model_name: "echo", inputs: [fp32("x", new Array(65).fill("1"), [1])] },
    code: S.INVALID_ARGUMENT,
    details: /more than 64 dimensions/,
  },
  {
    name: "a dimension past 2^53",
    request: { model_name: "echo", inputs: [fp32("x", ["9007199254740993"], [1])] },
    code: S.INVALID_ARGUMENT,
    details: /shape does not fit in a JavaScript number/,
  },
  {
    name: "FP32 values in int_contents",
    request: {
      model_name: "echo",
      inputs: [{ name: "x", datatype: "FP32", shape: ["1"], contents: { int_contents: [1] } }],
    },
    code: S.INVALID_ARGUMENT,
    details: /FP32 data belongs in fp32_contents, got int_contents/,
  },
  {
    name: "INT8 values in bytes_contents",
    request: {
      model_name: "echo",
      inputs: [{
        name: "x",
        datatype: "INT8",
        shape: ["1"],
        contents: { bytes_contents: [Buffer.from("a")] },
      }],
    },
    code: S.INVALID_ARGUMENT,
    details: /INT8 data belongs in int_contents, got bytes_contents/,
  },
  {
    name: "FP16 in typed contents",
    request: {
      model_name: "echo",
      inputs: [{ name: "x", datatype: "FP16", shape: ["1"], contents: { fp32_contents: [1] } }],
    },
    code: S.INVALID_ARGUMENT,
    details: /FP16 has no typed contents field/,
  },
  {
    name: "300 for INT8",
    request: {
      model_name: "echo",
      inputs: [{ name: "x", datatype: "INT8", shape: ["1"], contents: { int_contents: [300] } }],
    },
    code: S.INVALID_ARGUMENT,
    details: /element 0 is 300, out of range for INT8/,
  },
  {
    name: "raw contents that do not fill the shape",
    request: {
      model_name: "echo",
      inputs: [{ name: "x", datatype: "FP32", shape: ["2"] }],
      raw_input_contents: [Buffer.alloc(7)],
    },
    code: S.INVALID_ARGUMENT,
    details: /raw data has 7 bytes, shape \[2\] of FP32 needs 8/,
  },
  {
    name: "a raw BYTES length past the end",
    request: {
      model_name: "echo",
      inputs: [{ name: "s", datatype: "BYTES", shape: ["1"] }],
      raw_input_contents: [Buffer.from([255, 255, 255, 255, 1])],
    },
    code: S.INVALID_ARGUMENT,
    details: /raw BYTES element 0 claims 4294967295 bytes, only 1 remain/,
  },
  {
    name: "a raw BOOL byte of 2",
    request: {
      model_name: "echo",
      inputs: [{ name: "b", datatype: "BOOL", shape: ["1"] }],
      raw_input_contents: [Buffer.from([2])],
    },
    code: S.INVALID_ARGUMENT,
    details: /BOOL element 0 is 2, expected 0 or 1/,
  },
  {
    name: "more raw entries than inputs",
    request: { model_name: "echo", inputs: [], raw_input_contents: [Buffer.alloc(4)] },
    code: S.INVALID_ARGUMENT,
    details: /raw_input_contents has 1 entries but only 0 inputs/,
  },
  {
    name: "an input with no data",
    request: { model_name: "echo", inputs: [{ name: "x", datatype: "FP32", shape: ["1"] }] },
    code: S.INVALID_ARGUMENT,
    details: /Input 'x': no data/,
  },
  {
    name: "two inputs named x",
    request: { model_name: "echo", inputs: [fp32("x", ["1"], [1]), fp32("x", ["1"], [2])] },
    code: S.INVALID_ARGUMENT,
    details: /inputs\[1\]\.name: duplicate input name "x"/,
  },
  {
    name: "two raw inputs named x",
    request: {
      model_name: "echo",
      inputs: [{ name: "x", datatype: "UINT8", shape: ["1"] }, {
        name: "x",
        datatype: "UINT8",
        shape: ["1"],
      }],
      raw_input_contents: [Buffer.from([1]), Buffer.from([2])],
    },
    code: S.INVALID_ARGUMENT,
    details: /duplicate input name "x"/,
  },
  {
    name: "an input without a name",
    request: { model_name: "echo", inputs: [fp32("", ["1"], [1])] },
    code: S.OK,
  },
  {
    name: "a name of 2,000 characters",
    request: { model_name: "echo", inputs: [fp32("n".repeat(2000), ["1"], [1])] },
    code: S.INVALID_ARGUMENT,
    details: /inputs\[0\]\.name: longer than 1024 characters/,
  },
  {
    name: "an id of 2,000 characters",
    request: { model_name: "echo", id: "i".repeat(2000), inputs: [] },
    code: S.INVALID_ARGUMENT,
    details: /id: longer than 1024 characters/,
  },
  {
    name: "a number for content_type",
    request: { model_name: "echo", parameters: { content_type: { int64_param: "3" } }, inputs: [] },
    code: S.INVALID_ARGUMENT,
    details: /parameters\.content_type: expected a string, got 3/,
  },
  {
    name: "INT64 and UINT64 at both ends, exact",
    request: {
      model_name: "echo",
      inputs: [
        {
          name: "i",
          datatype: "INT64",
          shape: ["3"],
          contents: {
            int64_contents: ["-9223372036854775808", "9223372036854775807", "9007199254740993"],
          },
        },
        {
          name: "u",
          datatype: "UINT64",
          shape: ["2"],
          contents: { uint64_contents: ["18446744073709551615", "9223372036854775808"] },
        },
      ],
    },
    code: S.OK,
    check: (response) => {
      const [i, u] = response.outputs as { contents: Record<string, string[]> }[];
      assert.deepEqual(i!.contents.int64_contents, [
        "-9223372036854775808",
        "9223372036854775807",
        "9007199254740993",
      ]);
      assert.deepEqual(u!.contents.uint64_contents, [
        "18446744073709551615",
        "9223372036854775808",
      ]);
    },
  },
  {
    name: "an empty request names no model",
    request: {},
    code: S.NOT_FOUND,
  },
  {
    name: "metadata of a traversal",
    method: "ModelMetadata",
    request: { name: "../echo" },
    code: S.NOT_FOUND,
    details: /^Model \.\.\/echo not found$/,
  },
  {
    name: "loading a traversal",
    method: "RepositoryModelLoad",
    request: { model_name: "../../etc" },
    code: S.NOT_FOUND,
    details: /not found/,
  },
  {
    name: "loading an absolute path",
    method: "RepositoryModelLoad",
    request: { model_name: "/etc/passwd" },
    code: S.NOT_FOUND,
    details: /not found/,
  },
];

/** An INT32 input whose contents are `int_contents` varints, given as bytes. */
const int32Raw = (shape: number, contents: number[]) =>
  pbRequest("echo", pbInput("x", "INT32", [shape], pb.len(2, contents)));

/** A message of `count` copies of `field`, after the model name. */
function repeated(count: number, field: number[], extra: number[] = []): Uint8Array {
  const head = [...pb.text(1, "echo"), ...extra];
  const out = new Uint8Array(head.length + count * field.length);
  out.set(head);
  for (let i = 0; i < count; i++) out.set(field, head.length + i * field.length);
  return out;
}

/** One BYTES input of `count` empty elements in `bytes_contents`, hand-made. */
function emptyBytes(count: number, shape = count): Uint8Array {
  const contents = new Uint8Array(count * 2);
  for (let i = 0; i < count; i++) contents[2 * i] = 0x42; // field 8, wire type 2, length 0
  const head = [...pb.text(1, "s"), ...pb.text(2, "BYTES"), ...pb.len(3, pb.varint(shape))];
  const contentsField = [...pb.tag(5, 2), ...pb.varint(contents.length)];
  const inputBody = head.length + contentsField.length + contents.length;
  const prefix = [
    ...pb.text(1, "echo"),
    ...pb.tag(5, 2),
    ...pb.varint(inputBody),
    ...head,
    ...contentsField,
  ];
  const out = new Uint8Array(prefix.length + contents.length);
  out.set(prefix);
  out.set(contents, prefix.length);
  return out;
}

const OVER = 600_000; // past the 524,288 objects any small message may create

const RAW: RawCase[] = [
  {
    name: "a truncated varint",
    bytes: () => new Uint8Array([0x0a, 0xff]),
    code: S.INVALID_ARGUMENT,
    details: /^Malformed protobuf message: truncated varint$/,
  },
  {
    name: "a length past the end",
    bytes: () => new Uint8Array([0x0a, 0x7f, 0x41]),
    code: S.INVALID_ARGUMENT,
    details: /field of 127 bytes runs past the end/,
  },
  {
    name: "a length of 2^63",
    bytes: () => new Uint8Array([0x0a, ...pb.varint(2n ** 63n)]),
    code: S.INVALID_ARGUMENT,
    details: /^Malformed protobuf message/,
  },
  {
    name: "field number 0",
    bytes: () => new Uint8Array([0x00, 0x01]),
    code: S.INVALID_ARGUMENT,
    details: /field number 0/,
  },
  {
    name: "wire type 6",
    bytes: () => new Uint8Array([0x7e, 0x01]),
    code: S.INVALID_ARGUMENT,
    details: /unsupported wire type 6/,
  },
  {
    name: "a group (wire type 3)",
    bytes: () => new Uint8Array([0x7b, 0x7c]),
    code: S.INVALID_ARGUMENT,
    details: /unsupported wire type 3/,
  },
  {
    name: "an 11-byte varint",
    bytes: () => new Uint8Array([0x78, ...new Array(10).fill(0xff), 0x01]),
    code: S.INVALID_ARGUMENT,
    details: /varint longer than 10 bytes/,
  },
  {
    name: "a model name that is not UTF-8",
    bytes: () => new Uint8Array([0x0a, 0x02, 0xc3, 0x28]),
    code: S.INVALID_ARGUMENT,
    details: /a string field is not valid UTF-8/,
  },
  {
    name: "an input name that is not UTF-8",
    bytes: () => pbRequest("echo", pb.len(5, pb.len(1, [0xff]))),
    code: S.INVALID_ARGUMENT,
    details: /not valid UTF-8/,
  },
  {
    name: "a model name sent as a varint",
    bytes: () => new Uint8Array([0x08, 0x01]),
    code: S.INVALID_ARGUMENT,
    details: /field model_name has wire type 0, expected 2/,
  },
  {
    name: "an input sent as a varint",
    bytes: () => pbRequest("echo", pb.int(5, 1)),
    code: S.INVALID_ARGUMENT,
    details: /field inputs has wire type 0, expected 2/,
  },
  {
    name: "garbage inside contents",
    bytes: () => pbRequest("echo", pbInput("x", "FP32", [1], [0xff, 0xff])),
    code: S.INVALID_ARGUMENT,
    details: /^Malformed protobuf message/,
  },
  {
    name: "a dimension of 2^64-1",
    bytes: () => pbRequest("echo", pbInput("x", "FP32", [2n ** 64n - 1n], pb.len(6, [0, 0, 0, 0]))),
    code: S.INVALID_ARGUMENT,
    details: /shape\[0\]: expected a non-negative integer, got -1/,
  },
  {
    name: "a packed shape of a million dimensions",
    bytes: () =>
      pbRequest(
        "echo",
        pb.len(5, [...pb.text(1, "x"), ...pb.len(3, new Array(1_000_000).fill(1))]),
      ),
    code: S.INVALID_ARGUMENT,
    details: /a shape has more than 64 dimensions/,
  },
  {
    name: "fp32_contents sent as varints",
    bytes: () => pbRequest("echo", pbInput("x", "FP32", [1], pb.int(6, 1))),
    code: S.INVALID_ARGUMENT,
    details: /field 6 has wire type 0, expected 5/,
  },
  {
    name: "bytes_contents sent as a varint",
    bytes: () => pbRequest("echo", pbInput("s", "BYTES", [1], pb.int(8, 1))),
    code: S.INVALID_ARGUMENT,
    details: /bytes_contents has wire type 0, expected 2/,
  },
  {
    name: "packed FP32 of 5 bytes",
    bytes: () => pbRequest("echo", pbInput("x", "FP32", [1], pb.len(6, [0, 0, 0, 0, 0]))),
    code: S.INVALID_ARGUMENT,
    details: /packed fp32_contents is not a whole number of elements/,
  },
  {
    name: "a packed varint cut short",
    bytes: () => int32Raw(2, [0x01, 0xff]),
    code: S.INVALID_ARGUMENT,
    details: /contents have 1 elements, shape needs 2/,
  },
  {
    name: "a BOOL varint of 2",
    bytes: () => pbRequest("echo", pbInput("b", "BOOL", [1], pb.len(1, [2]))),
    code: S.INVALID_ARGUMENT,
    details: /BOOL element 0 is 2, expected 0 or 1/,
  },
  {
    name: "a parameter entry of garbage",
    bytes: () => pbRequest("echo", pb.len(4, [0xff])),
    code: S.INVALID_ARGUMENT,
    details: /^Malformed protobuf message/,
  },
  {
    name: "4 KB of noise",
    bytes: () => new Uint8Array(4096).map((_, i) => (i * 7919 + 13) & 0xff),
    code: S.INVALID_ARGUMENT,
    details: /^Malformed protobuf message/,
  },
  {
    name: "unknown fields are skipped",
    bytes: () =>
      pbRequest(
        "echo",
        pb.int(99, 5),
        pb.len(100, [1, 2, 3]),
        pbInput("x", "FP32", [1], pb.len(6, [0, 0, 0x80, 0x3f])),
      ),
    code: S.OK,
  },
  {
    name: "600,000 empty bytes_contents in 1.2 MB",
    bytes: () => emptyBytes(OVER),
    code: S.RESOURCE_EXHAUSTED,
    details:
      /^Input 's': 600000 BYTES elements: decoding this \d+-byte message would create more than 524288 objects/,
  },
  {
    name: "600,000 empty bytes_contents for a shape of 3",
    bytes: () => emptyBytes(OVER, 3),
    code: S.INVALID_ARGUMENT,
    details: /Input 's': contents have 600000 elements, shape needs 3/,
  },
  {
    name: "600,000 empty inputs",
    bytes: () => repeated(OVER, [0x2a, 0x00]),
    code: S.RESOURCE_EXHAUSTED,
    details:
      /^Invalid inference request: inputs: decoding this \d+-byte message would create more than 524288 objects/,
  },
  {
    name: "600,000 empty raw_input_contents",
    bytes: () => repeated(OVER, [0x3a, 0x00]),
    code: S.RESOURCE_EXHAUSTED,
    details: /raw_input_contents: decoding this/,
  },
  {
    name: "600,000 parameters",
    bytes: () => repeated(OVER, [0x22, 0x00]),
    code: S.RESOURCE_EXHAUSTED,
    details: /parameters: decoding this/,
  },
  {
    name: "600,000 requested outputs",
    bytes: () => repeated(OVER, [0x32, 0x00]),
    code: S.RESOURCE_EXHAUSTED,
    details: /outputs: decoding this/,
  },
  {
    name: "600,000 contents messages in one input",
    bytes: () => pbRequest("echo", pb.len(5, Array.from(repeated(OVER, [0x2a, 0x00]).subarray(6)))),
    code: S.RESOURCE_EXHAUSTED,
    details: /inputs: decoding this/,
  },
  {
    name: "a million unpacked int_contents that match their shape",
    bytes: () => {
      const count = 1_000_000;
      const contents = new Uint8Array(count * 2).map((_, i) => (i % 2 === 0 ? 0x10 : 7));
      return pbRequest("echo", pbInput("x", "INT32", [count], Array.from(contents)));
    },
    code: S.OK,
  },
  {
    name: "a message over grpc_max_message_length",
    bytes: () =>
      pbRequest("echo", pbInput("x", "UINT8", [5_000_000]), pb.len(7, new Uint8Array(5_000_000))),
    code: S.RESOURCE_EXHAUSTED,
  },
  {
    name: "ModelMetadata of garbage",
    path: "/inference.GRPCInferenceService/ModelMetadata",
    bytes: () => new Uint8Array([0x0a, 0x05, 0x41]),
    code: S.INVALID_ARGUMENT,
    details: /^Malformed protobuf message/,
  },
  {
    name: "ModelReady of garbage",
    path: "/inference.GRPCInferenceService/ModelReady",
    bytes: () => new Uint8Array([0x0f]),
    code: S.INVALID_ARGUMENT,
    details: /^Malformed protobuf message/,
  },
  {
    name: "RepositoryIndex of garbage",
    path: "/inference.GRPCInferenceService/RepositoryIndex",
    bytes: () => new Uint8Array([0x12, 0x09]),
    code: S.INVALID_ARGUMENT,
    details: /^Malformed protobuf message/,
  },
  {
    name: "RepositoryModelUnload of garbage",
    path: "/inference.model_repository.ModelRepositoryService/RepositoryModelUnload",
    bytes: () => new Uint8Array([0x12, 0x09, 0x41]),
    code: S.INVALID_ARGUMENT,
    details: /^Malformed protobuf message/,
  },
  {
    name: "an unknown method",
    path: "/inference.GRPCInferenceService/DropTables",
    bytes: () => new Uint8Array(0),
    code: S.UNIMPLEMENTED,
  },
  {
    name: "an unknown service",
    path: "/evil.Service/Run",
    bytes: () => new Uint8Array(0),
    code: S.UNIMPLEMENTED,
  },
];

/** Sends raw messages on ModelStreamInfer and collects the status. */
function streamRaw(port: number, messages: Uint8Array[]): Promise<grpc.StatusObject> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    const stream = client.makeBidiStreamRequest(
      "/inference.GRPCInferenceService/ModelStreamInfer",
      (value: Uint8Array) => Buffer.from(value),
      (value: Buffer) => value,
    );
    stream.on("data", () => {});
    stream.on("error", () => {});
    stream.on("status", (status: grpc.StatusObject) => {
      client.close();
      resolve(status);
    });
    for (const message of messages) stream.write(message);
    stream.end();
  });
}

Deno.test("gRPC answers hostile calls with bounded errors and keeps serving", async (t) => {
  await using dir = await withTmpDir();
  await hostileModels(dir.path);
  await using srv = await startServer(dir.path, {
    settings: { grpc_max_message_length: 4 * 1024 * 1024 },
  });
  const port = srv.server.grpcPort;
  const client = inferenceClient(port, {
    "grpc.max_send_message_length": -1,
    "grpc.max_receive_message_length": -1,
  });
  try {
    for (const c of CLIENT) {
      await t.step(`${c.method ?? "ModelInfer"}: ${c.name} -> ${S[c.code]}`, async () => {
        const { error, response } = await call(client, c.method ?? "ModelInfer", c.request);
        assert.equal(error?.code ?? S.OK, c.code, `${c.name}: ${error?.details}`);
        if (error !== undefined) {
          assertCleanMessage(error.details, c.name);
          if (c.details !== undefined) assert.match(error.details, c.details, error.details);
        } else {
          c.check?.(response);
        }
        await assertAlive(srv.url, port, c.name);
      });
    }
    for (const c of RAW) {
      await t.step(
        `raw ${c.path?.split("/").pop() ?? "ModelInfer"}: ${c.name} -> ${S[c.code]}`,
        async () => {
          const { error } = await callRaw(port, c.path ?? INFER, c.bytes());
          assert.equal(error?.code ?? S.OK, c.code, `${c.name}: ${error?.details}`);
          if (error !== undefined) {
            assertCleanMessage(error.details, c.name);
            if (c.details !== undefined) assert.match(error.details, c.details, error.details);
          }
          await assertAlive(srv.url, port, c.name);
        },
      );
    }
    await t.step("ModelStreamInfer: a malformed second message ends the call", async () => {
      const good = pbRequest("streamer", pbInput("x", "INT32", [1], pb.len(2, [1])));
      const status = await streamRaw(port, [good, new Uint8Array([0x0a, 0xff])]);
      assert.equal(status.code, S.INVALID_ARGUMENT, status.details);
      assert.match(status.details, /^Malformed protobuf message: truncated varint$/);
      await assertAlive(srv.url, port, "stream");
    });
    await t.step("ModelStreamInfer: duplicate names in the first message", async () => {
      const dup = pbRequest(
        "streamer",
        pbInput("x", "INT32", [1], pb.len(2, [1])),
        pbInput("x", "INT32", [1], pb.len(2, [1])),
      );
      const status = await streamRaw(port, [dup]);
      assert.equal(status.code, S.INVALID_ARGUMENT, status.details);
      assert.match(status.details, /duplicate input name "x"/);
      await assertAlive(srv.url, port, "stream");
    });
  } finally {
    client.close();
  }
});
