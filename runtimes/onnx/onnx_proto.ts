/**
 * The little of the ONNX protobuf format the runtime edits: onnxruntime-node
 * returns only tensors, and scikit-learn exports (skl2onnx, onnxmltools)
 * end classifiers in a ZipMap, whose sequence<map> result it cannot hand
 * over. `replaceZipMaps` rewrites such a model so that each ZipMap becomes
 * an Identity of its input: the same output name then answers the
 * probability tensor [N, classes] (float32), columns in the ZipMap's
 * class-label order. Every other byte of the model is copied as it was.
 *
 * Also a generic field reader, which tests use for TensorProto files.
 *
 * @module
 */

/** One protobuf field: its number, wire type and where its value lies. */
export interface ProtoField {
  number: number;
  wire: number;
  /** Start of the field (its tag) and end of its value. */
  start: number;
  end: number;
  /** The value's bytes (length-delimited fields) or the varint / fixed value. */
  bytes: Uint8Array;
  value: bigint;
}

/** The fields of one message, in order. */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n;; shift += 7n) {
      if (at >= bytes.length) throw new Error("Truncated protobuf varint");
      const byte = bytes[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (at < bytes.length) {
    const start = at;
    const tag = varint();
    const number = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let value = 0n;
    let body = bytes.subarray(0, 0);
    if (wire === 0) value = varint();
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      body = bytes.subarray(at, at + size);
      at += size;
    } else if (wire === 2) {
      const length = Number(varint());
      body = bytes.subarray(at, at + length);
      at += length;
    } else throw new Error(`Unsupported protobuf wire type ${wire}`);
    if (at > bytes.length) throw new Error("Truncated protobuf field");
    fields.push({ number, wire, start, end: at, bytes: body, value });
  }
  return fields;
}

/** Packed or unpacked repeated varints of field `number`. */
export function readVarints(fields: ProtoField[], number: number): bigint[] {
  const out: bigint[] = [];
  for (const field of fields) {
    if (field.number !== number) continue;
    if (field.wire === 0) out.push(field.value);
    else {
      // Packed: the value is a run of varints; read them as fields of number 0.
      let at = 0;
      while (at < field.bytes.length) {
        let result = 0n;
        for (let shift = 0n;; shift += 7n) {
          const byte = field.bytes[at++]!;
          result |= BigInt(byte & 0x7f) << shift;
          if (byte < 0x80) break;
        }
        out.push(result);
      }
    }
  }
  return out.map((v) => BigInt.asIntN(64, v));
}

const text = new TextDecoder();
const encoder = new TextEncoder();

/** The UTF-8 strings of field `number`. */
export function readStrings(fields: ProtoField[], number: number): string[] {
  return fields.filter((f) => f.number === number).map((f) => text.decode(f.bytes));
}

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function message(number: number, body: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([...varint((number << 3) | 2), ...varint(body.length)]), body]);
}

function str(number: number, value: string): Uint8Array {
  return message(number, encoder.encode(value));
}

function int(number: number, value: number): Uint8Array {
  return Uint8Array.from([...varint(number << 3), ...varint(value)]);
}

/** Class labels of a ZipMap: int64s or strings. */
export type ZipMapLabels = bigint[] | string[];

/** A model whose ZipMaps were replaced, and each replaced output's class labels. */
export interface ReplacedZipMaps {
  model: Uint8Array;
  labels: Map<string, ZipMapLabels>;
}

// Field numbers (onnx.proto3).
const MODEL_GRAPH = 7, MODEL_OPSET = 8;
const GRAPH_NODE = 1, GRAPH_OUTPUT = 12;
const NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP = 4, NODE_ATTR = 5, NODE_DOMAIN = 7;
const ATTR_NAME = 1, ATTR_INTS = 8, ATTR_STRINGS = 9;
const VALUE_NAME = 1, VALUE_TYPE = 2;
const FLOAT = 1;

/**
 * Replaces every ZipMap whose output is one of the graph's outputs by an
 * Identity of its probability tensor, retyping that output as
 * float32 [N, classes]. Returns undefined when the model has none.
 */
export function replaceZipMaps(model: Uint8Array): ReplacedZipMaps | undefined {
  const top = readFields(model);
  const graphField = top.find((f) => f.number === MODEL_GRAPH);
  if (graphField === undefined) return undefined;
  const graph = readFields(graphField.bytes);
  const outputs = new Set(
    graph.filter((f) => f.number === GRAPH_OUTPUT).map((f) =>
      readStrings(readFields(f.bytes), VALUE_NAME)[0]
    ),
  );
  const labels = new Map<string, ZipMapLabels>();
  const graphParts: Uint8Array[] = [];
  for (const field of graph) {
    const raw = graphField.bytes.subarray(field.start, field.end);
    if (field.number === GRAPH_NODE) {
      const node = readFields(field.bytes);
      const op = readStrings(node, NODE_OP)[0];
      const domain = readStrings(node, NODE_DOMAIN)[0] ?? "";
      const [input] = readStrings(node, NODE_INPUT);
      const [output] = readStrings(node, NODE_OUTPUT);
      if (
        op === "ZipMap" && (domain === "ai.onnx.ml") && input !== undefined &&
        output !== undefined && outputs.has(output)
      ) {
        labels.set(output, zipMapLabels(node));
        const name = readStrings(node, NODE_NAME)[0] ?? output;
        graphParts.push(
          message(
            GRAPH_NODE,
            concat([
              str(NODE_INPUT, input),
              str(NODE_OUTPUT, output),
              str(NODE_NAME, name),
              str(NODE_OP, "Identity"),
            ]),
          ),
        );
        continue;
      }
    }
    graphParts.push(raw);
  }
  if (labels.size === 0) return undefined;
  // Outputs retyped once every ZipMap is known (outputs may precede nodes).
  const rebuilt = graphParts.map((part) => {
    const [field] = readFields(part);
    if (field?.number !== GRAPH_OUTPUT) return part;
    const name = readStrings(readFields(field.bytes), VALUE_NAME)[0]!;
    const classes = labels.get(name);
    return classes === undefined
      ? part
      : message(GRAPH_OUTPUT, probabilityInfo(name, classes.length));
  });
  const parts: Uint8Array[] = [];
  for (const field of top) {
    if (field.number === MODEL_GRAPH) parts.push(message(MODEL_GRAPH, concat(rebuilt)));
    else parts.push(model.subarray(field.start, field.end));
  }
  if (!hasDefaultOpset(top)) {
    // Identity lives in the default domain; a model importing only ai.onnx.ml gets opset 1.
    parts.push(message(MODEL_OPSET, concat([str(1, ""), int(2, 1)])));
  }
  return { model: concat(parts), labels };
}

function zipMapLabels(node: ProtoField[]): ZipMapLabels {
  for (const attr of node.filter((f) => f.number === NODE_ATTR)) {
    const fields = readFields(attr.bytes);
    const name = readStrings(fields, ATTR_NAME)[0];
    if (name === "classlabels_int64s") return readVarints(fields, ATTR_INTS);
    if (name === "classlabels_strings") return readStrings(fields, ATTR_STRINGS);
  }
  return [];
}

/** ValueInfoProto of a float32 [N, classes] tensor. */
function probabilityInfo(name: string, classes: number): Uint8Array {
  const dims = concat([message(1, str(2, "N")), message(1, int(1, classes))]);
  const tensor = concat([int(1, FLOAT), message(2, dims)]);
  return concat([str(VALUE_NAME, name), message(VALUE_TYPE, message(1, tensor))]);
}

function hasDefaultOpset(top: ProtoField[]): boolean {
  return top.some((f) =>
    f.number === MODEL_OPSET && (readStrings(readFields(f.bytes), 1)[0] ?? "") === ""
  );
}
