/**
 * One table of requests sent through REST (JSON), gRPC with typed contents and
 * gRPC with raw contents: the outputs must be equal, and failures must be the
 * same class of error (HTTP status <-> gRPC code).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { call, grpc, inferenceClient } from "../_grpc.ts";
import { type Json, RUNTIMES, startServer, withTmpDir, writeModel } from "../_helpers.ts";

interface Tensor {
  name: string;
  datatype: string;
  shape: number[];
  /** JSON data as REST clients send it (flat or nested). */
  data: unknown;
}

interface Case {
  name: string;
  model: string;
  inputs: Tensor[];
  parameters?: Record<string, string>;
  /** Transports that cannot carry the case by design. */
  skip?: ("typed" | "raw")[];
}

const CASES: Case[] = [
  {
    name: "BOOL",
    model: "echo",
    inputs: [{ name: "x", datatype: "BOOL", shape: [3], data: [true, false, true] }],
  },
  {
    name: "UINT8",
    model: "echo",
    inputs: [{ name: "x", datatype: "UINT8", shape: [2], data: [0, 255] }],
  },
  {
    name: "UINT16",
    model: "echo",
    inputs: [{ name: "x", datatype: "UINT16", shape: [2], data: [1, 65535] }],
  },
  {
    name: "UINT32",
    model: "echo",
    inputs: [{ name: "x", datatype: "UINT32", shape: [2], data: [1, 4294967295] }],
  },
  {
    name: "UINT64",
    model: "echo",
    inputs: [{ name: "x", datatype: "UINT64", shape: [2], data: ["18446744073709551615", 3] }],
  },
  {
    name: "INT8",
    model: "echo",
    inputs: [{ name: "x", datatype: "INT8", shape: [2], data: [-128, 127] }],
  },
  {
    name: "INT16",
    model: "echo",
    inputs: [{ name: "x", datatype: "INT16", shape: [2], data: [-32768, 32767] }],
  },
  {
    name: "INT32 nested",
    model: "echo",
    inputs: [{ name: "x", datatype: "INT32", shape: [2, 2], data: [[1, -2], [3, -4]] }],
  },
  {
    name: "INT64 beyond 2^53",
    model: "echo",
    inputs: [{
      name: "x",
      datatype: "INT64",
      shape: [2],
      data: ["-9223372036854775808", "9007199254740993"],
    }],
  },
  {
    name: "FP16",
    model: "echo",
    inputs: [{ name: "x", datatype: "FP16", shape: [2], data: [0.5, -2] }],
    skip: ["typed"],
  },
  {
    name: "FP32 nested 3-D",
    model: "echo",
    inputs: [{ name: "x", datatype: "FP32", shape: [2, 1, 2], data: [[[0.25, 1]], [[-3.5, 7]]] }],
  },
  {
    name: "FP64 with NaN",
    model: "echo",
    inputs: [{ name: "x", datatype: "FP64", shape: [3], data: [0.1, null, -1e300] }],
  },
  {
    name: "BYTES",
    model: "echo",
    inputs: [{ name: "x", datatype: "BYTES", shape: [2], data: ["héllo", ""] }],
  },
  {
    name: "empty tensor",
    model: "echo",
    inputs: [{ name: "x", datatype: "FP32", shape: [0, 3], data: [] }],
  },
  {
    name: "several inputs",
    model: "echo",
    inputs: [
      { name: "a", datatype: "INT32", shape: [1], data: [1] },
      { name: "b", datatype: "BYTES", shape: [1], data: ["b"] },
      { name: "c", datatype: "FP64", shape: [1, 1], data: [[2.5]] },
    ],
  },
  {
    name: "iris",
    model: "iris",
    inputs: [{
      name: "input-0",
      datatype: "FP32",
      shape: [2, 4],
      data: [[5.1, 3.5, 1.4, 0.2], [6.7, 3, 5.2, 2.3]],
    }],
  },
  {
    name: "an empty FP16 tensor (no contents field exists for it)",
    model: "echo",
    inputs: [{ name: "x", datatype: "FP16", shape: [0], data: [] }],
  },
  {
    name: "an empty input name",
    model: "echo",
    inputs: [{ name: "", datatype: "INT32", shape: [1], data: [1] }],
  },
  { name: "unknown model", model: "ghost", inputs: [] },
  {
    name: "an input name over 1024 characters",
    model: "echo",
    inputs: [{ name: "n".repeat(1025), datatype: "INT32", shape: [1], data: [1] }],
  },
  {
    name: "count mismatch",
    model: "echo",
    inputs: [{ name: "x", datatype: "INT32", shape: [3], data: [1, 2] }],
  },
  {
    name: "value out of range",
    model: "echo",
    inputs: [{ name: "x", datatype: "INT8", shape: [1], data: [300] }],
    skip: ["raw"], // raw bytes cannot express 300 as INT8
  },
  { name: "runtime bug", model: "throws", inputs: [] },
  {
    name: "runtime InferenceError",
    model: "throws",
    inputs: [],
    parameters: { kind: "inference" },
  },
  { name: "model not ready", model: "load-false", inputs: [] },
];

const CONTENTS: Record<string, string> = {
  BOOL: "bool_contents",
  UINT8: "uint_contents",
  UINT16: "uint_contents",
  UINT32: "uint_contents",
  UINT64: "uint64_contents",
  INT8: "int_contents",
  INT16: "int_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  BYTES: "bytes_contents",
};

const ARRAYS: Record<string, new (values: Iterable<Json>) => ArrayBufferView> = {
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Float16Array,
  FP32: Float32Array,
  FP64: Float64Array,
  BOOL: Uint8Array,
};

const flat = (data: unknown): unknown[] => Array.isArray(data) ? data.flat(Infinity) : [data];

function jsonValue(datatype: string, value: unknown): unknown {
  if (datatype === "BOOL") return value === true || value === 1;
  if (datatype === "INT64" || datatype === "UINT64") return BigInt(value as string | number);
  if (value === null) return NaN;
  return value;
}

/** A tensor's values in one comparable form, whatever transport produced them. */
function canonical(datatype: string, values: unknown[]): string[] {
  return values.map((v) => {
    if (datatype === "BYTES") {
      return typeof v === "string" ? v : Buffer.from(v as Uint8Array).toString("utf8");
    }
    if (datatype === "BOOL") return String(v === true || v === 1);
    if (v === null) return "NaN";
    if (datatype === "FP32") return String(Math.fround(Number(v)));
    if (datatype === "FP16") return String(new Float16Array([Number(v)])[0]);
    return String(typeof v === "number" || typeof v === "bigint" ? v : BigInt(v as string));
  });
}

function typedInput(tensor: Tensor): Json {
  const values = flat(tensor.data).map((v) => jsonValue(tensor.datatype, v));
  const field = CONTENTS[tensor.datatype]!;
  const contents = tensor.datatype === "BYTES"
    ? values.map((v) => Buffer.from(v as string))
    : values.map((v) => typeof v === "bigint" ? String(v) : v);
  return {
    name: tensor.name,
    datatype: tensor.datatype,
    shape: tensor.shape.map(String),
    contents: { [field]: contents },
  };
}

function rawBytes(tensor: Tensor): Buffer {
  const values = flat(tensor.data).map((v) => jsonValue(tensor.datatype, v));
  if (tensor.datatype === "BYTES") {
    return Buffer.concat(values.map((v) => {
      const bytes = Buffer.from(v as string);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      return Buffer.concat([length, bytes]);
    }));
  }
  const array = new ARRAYS[tensor.datatype]!(
    values.map((v) => typeof v === "boolean" ? (v ? 1 : 0) : v) as Json,
  );
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

function fromRaw(datatype: string, bytes: Uint8Array): unknown[] {
  if (datatype === "BYTES") {
    const out: Uint8Array[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at < bytes.byteLength;) {
      const length = view.getUint32(at, true);
      out.push(bytes.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    return out;
  }
  const Array = ARRAYS[datatype] as Json;
  const copy = new Uint8Array(bytes);
  return [...new Array(copy.buffer)];
}

interface Outcome {
  outputs?: { name: string; datatype: string; shape: number[]; values: string[] }[];
  error?: { kind: string; message: string };
}

const KIND_BY_STATUS: Record<number, string> = {
  400: "invalid",
  404: "not found",
  500: "internal",
};
const KIND_BY_CODE: Record<number, string> = {
  [grpc.status.INVALID_ARGUMENT]: "invalid",
  [grpc.status.NOT_FOUND]: "not found",
  [grpc.status.INTERNAL]: "internal",
};

/**
 * POSTs JSON and parses the answer keeping integers exact: the reviver gets
 * each number's source text, so 64-bit values are not rounded to doubles.
 */
async function postExact(url: string, body: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  const text = await response.text();
  const reviver = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" && !Number.isSafeInteger(value) &&
      /^-?\d+$/.test(context?.source ?? "")
      ? context!.source
      : value;
  // deno-lint-ignore no-explicit-any
  return { status: response.status, body: JSON.parse(text, reviver as any) };
}

Deno.test("REST and gRPC (typed and raw) give the same answers", async (t) => {
  await using dir = await withTmpDir();
  await writeModel(dir.path, "echo", { implementation: RUNTIMES.echo });
  await writeModel(dir.path, "throws", { implementation: RUNTIMES.behaviours("PredictThrows") });
  await writeModel(dir.path, "load-false", { implementation: RUNTIMES.behaviours("LoadFalse") });
  await writeModel(dir.path, "iris", {
    implementation: `${
      new URL("../../examples/models/iris/custom_model.ts", import.meta.url).pathname
    }:CustomMLModel`,
    parameters: { uri: new URL("../../examples/models/iris", import.meta.url).pathname },
  });
  await using srv = await startServer(dir.path);
  const client = inferenceClient(srv.server.grpcPort);
  try {
    for (const c of CASES) {
      await t.step(c.name, async () => {
        const rest = await postExact(`${srv.url}/v2/models/${c.model}/infer`, {
          inputs: c.inputs,
          ...(c.parameters === undefined ? {} : { parameters: c.parameters }),
        });
        const outcomes: Record<string, Outcome> = {
          rest: rest.status === 200
            ? {
              outputs: rest.body.outputs.map((o: Json) => ({
                name: o.name,
                datatype: o.datatype,
                shape: o.shape,
                values: canonical(o.datatype, o.data),
              })),
            }
            : {
              error: {
                kind: KIND_BY_STATUS[rest.status] ?? String(rest.status),
                message: rest.body.error,
              },
            },
        };
        const parameters = Object.fromEntries(
          Object.entries(c.parameters ?? {}).map(([k, v]) => [k, { string_param: v }]),
        );
        for (const mode of ["typed", "raw"] as const) {
          if (c.skip?.includes(mode)) continue;
          const request = mode === "typed"
            ? { model_name: c.model, parameters, inputs: c.inputs.map(typedInput) }
            : {
              model_name: c.model,
              parameters,
              inputs: c.inputs.map(({ name, datatype, shape }) => ({
                name,
                datatype,
                shape: shape.map(String),
              })),
              raw_input_contents: c.inputs.map(rawBytes),
            };
          const { response, error } = await call(client, "ModelInfer", request);
          outcomes[mode] = error !== undefined
            ? {
              error: {
                kind: KIND_BY_CODE[error.code] ?? String(error.code),
                message: error.details,
              },
            }
            : {
              outputs: response.outputs.map((o: Json, i: number) => ({
                name: o.name ?? "", // proto3 leaves an empty string off the wire
                datatype: o.datatype,
                shape: (o.shape ?? []).map(Number),
                values: canonical(
                  o.datatype,
                  mode === "raw"
                    ? fromRaw(o.datatype, response.raw_output_contents[i])
                    : o.contents?.[CONTENTS[o.datatype]!] ?? [],
                ),
              })),
            };
        }
        for (const [mode, outcome] of Object.entries(outcomes)) {
          if (mode === "rest") continue;
          if (outcomes.rest!.error !== undefined) {
            assert.equal(
              outcome.error?.kind,
              outcomes.rest!.error.kind,
              `${mode}: ${outcome.error?.message}`,
            );
          } else {
            assert.deepEqual(outcome, outcomes.rest, mode);
          }
        }
      });
    }
  } finally {
    client.close();
  }
});
