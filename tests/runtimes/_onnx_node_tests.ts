/**
 * ONNX's own operator tests as Debian's libonnx-testdata installs them
 * (`/usr/share/libonnx-testdata/data/node/<test>/model.onnx` with
 * `test_data_set_*\/input_*.pb` and `output_*.pb`, TensorProto files), read
 * at test time: the data stays out of the repository. Each case becomes V2
 * inputs (typed arrays as the server holds them) and expected outputs.
 *
 * @module
 */

import type { Datatype, TypedArray } from "mlserver";
import { join } from "node:path";
import {
  type ProtoField,
  readFields,
  readStrings,
  readVarints,
} from "../../runtimes/onnx/onnx_proto.ts";

/** Where libonnx-testdata puts the node tests. */
export const NODE_TESTS = "/usr/share/libonnx-testdata/data/node";

/** How CI installs them. */
export const APT_LINE = "apt-get install -y libonnx-testdata";

/** One tensor of a test, decoded. */
export interface TestTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TypedArray | string[];
}

/** One node test: the model, its operators and its first data set. */
export interface NodeTest {
  name: string;
  model: string;
  ops: string[];
  inputs: TestTensor[];
  outputs: TestTensor[];
}

/** ONNX TensorProto.DataType -> V2 datatype, for the types V2 carries. */
const V2: Readonly<Record<number, Datatype>> = {
  1: "FP32",
  2: "UINT8",
  3: "INT8",
  4: "UINT16",
  5: "INT16",
  6: "INT32",
  7: "INT64",
  8: "BYTES",
  9: "BOOL",
  10: "FP16",
  11: "FP64",
  12: "UINT32",
  13: "UINT64",
};

const ARRAYS: Readonly<Record<string, { new (length: number): TypedArray }>> = {
  FP32: Float32Array,
  FP64: Float64Array,
  FP16: Float16Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  BOOL: Uint8Array,
};

/** Whether libonnx-testdata is installed. */
export async function hasNodeTests(): Promise<boolean> {
  try {
    return (await Deno.stat(NODE_TESTS)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Every node test whose graph inputs and outputs are tensors of V2 types and
 * whose first data set decodes, sorted by name.
 */
export async function readNodeTests(): Promise<NodeTest[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(NODE_TESTS)) if (entry.isDirectory) names.push(entry.name);
  const tests: NodeTest[] = [];
  for (const name of names.sort()) {
    const test = await readNodeTest(join(NODE_TESTS, name), name);
    if (test !== undefined) tests.push(test);
  }
  return tests;
}

async function readNodeTest(dir: string, name: string): Promise<NodeTest | undefined> {
  const model = join(dir, "model.onnx");
  const graphField = readFields(await Deno.readFile(model)).find((f) => f.number === 7);
  if (graphField === undefined) return undefined;
  const graph = readFields(graphField.bytes);
  const initializers = new Set(
    graph.filter((f) => f.number === 5).flatMap((f) => readStrings(readFields(f.bytes), 8)),
  );
  const inputs = graph.filter((f) => f.number === 11).map(valueInfo)
    .filter((v) => !initializers.has(v.name));
  const outputs = graph.filter((f) => f.number === 12).map(valueInfo);
  if (![...inputs, ...outputs].every((v) => v.datatype !== undefined)) return undefined;
  const ops = graph.filter((f) => f.number === 1).map((f) =>
    readStrings(readFields(f.bytes), 4)[0]!
  );
  const set = join(dir, "test_data_set_0");
  try {
    const read = (prefix: string, infos: typeof inputs) =>
      Promise.all(infos.map(async (info, i) => {
        const tensor = decodeTensor(await Deno.readFile(join(set, `${prefix}_${i}.pb`)));
        return tensor === undefined ? undefined : { ...tensor, name: info.name };
      }));
    const [ins, outs] = [await read("input", inputs), await read("output", outputs)];
    if ([...ins, ...outs].some((t) => t === undefined)) return undefined;
    return { name, model, ops, inputs: ins as TestTensor[], outputs: outs as TestTensor[] };
  } catch {
    return undefined; // optional inputs left out, sequences stored as SequenceProto
  }
}

/** A ValueInfoProto's name and, for a tensor of a V2 type, its datatype. */
function valueInfo(field: ProtoField): { name: string; datatype: Datatype | undefined } {
  const fields = readFields(field.bytes);
  const name = readStrings(fields, 1)[0] ?? "";
  const type = fields.find((f) => f.number === 2);
  const tensor = type && readFields(type.bytes).find((f) => f.number === 1);
  const elem = tensor && readVarints(readFields(tensor.bytes), 1)[0];
  return { name, datatype: elem === undefined ? undefined : V2[Number(elem)] };
}

/** A TensorProto as V2 data, or undefined for types V2 does not carry. */
export function decodeTensor(bytes: Uint8Array): Omit<TestTensor, "name"> | undefined {
  const fields = readFields(bytes);
  const shape = readVarints(fields, 1).map(Number);
  const datatype = V2[Number(readVarints(fields, 2)[0] ?? 0n)];
  if (datatype === undefined) return undefined;
  const count = shape.reduce((a, b) => a * b, 1);
  if (datatype === "BYTES") {
    const text = new TextDecoder();
    return {
      datatype,
      shape,
      data: fields.filter((f) => f.number === 6).map((f) => text.decode(f.bytes)),
    };
  }
  const Array = ARRAYS[datatype]!;
  const raw = fields.find((f) => f.number === 9);
  let data: TypedArray;
  if (raw !== undefined) {
    const copy = raw.bytes.slice();
    data = new (Array as unknown as new (b: ArrayBuffer, o: number, l: number) => TypedArray)(
      copy.buffer,
      0,
      count,
    );
  } else {
    data = new Array(count);
    const floats = fields.filter((f) => f.number === 4 || f.number === 10);
    if (floats.length > 0) {
      const size = floats[0]!.number === 4 ? 4 : 8;
      const bytes = concatBytes(floats.map((f) => f.bytes));
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < count; i++) {
        (data as Float64Array)[i] = size === 4
          ? view.getFloat32(i * 4, true)
          : view.getFloat64(i * 8, true);
      }
    } else {
      const ints = readVarints(
        fields,
        datatype === "UINT32" || datatype === "UINT64" ? 11 : datatype === "INT64" ? 7 : 5,
      );
      ints.forEach((v, i) => {
        if (datatype === "FP16") {
          new Uint16Array(data.buffer)[i] = Number(v);
        } else if (data instanceof BigInt64Array) data[i] = v;
        else if (data instanceof BigUint64Array) data[i] = BigInt.asUintN(64, v);
        else (data as Int32Array)[i] = Number(v);
      });
    }
  }
  return { datatype, shape, data };
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
