/**
 * Sends tensors to a running server over REST (JSON, or the binary
 * extension with binary outputs) and gRPC (raw contents), decodes what comes
 * back, and compares with a reference within 1e-5 relative.
 *
 * @module
 */

import type { Datatype, TypedArray } from "mlserver";
import { call } from "../_grpc.ts";
import type { Json } from "../_helpers.ts";

/** A tensor as tests hold it. */
export interface WireTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TypedArray | string[];
}

const ARRAYS: Readonly<Record<string, new (b: ArrayBuffer) => TypedArray>> = {
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

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Raw bytes of tensor data (BYTES: 4-byte little-endian length before each element). */
export function rawBytes(tensor: WireTensor): Uint8Array {
  if (!Array.isArray(tensor.data)) {
    const d = tensor.data;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  }
  const encoded = tensor.data.map((s) => utf8.encode(s));
  const out = new Uint8Array(encoded.reduce((n, e) => n + 4 + e.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of encoded) {
    view.setUint32(at, e.length, true);
    out.set(e, at + 4);
    at += 4 + e.length;
  }
  return out;
}

/** Tensor data from raw bytes. */
export function fromRaw(datatype: Datatype, bytes: Uint8Array): TypedArray | string[] {
  // A copy of exactly these bytes: gRPC hands out Buffers that view a shared pool.
  if (datatype !== "BYTES") {
    return new ARRAYS[datatype]!(Uint8Array.prototype.slice.call(bytes).buffer);
  }
  const out: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < bytes.length;) {
    const length = view.getUint32(at, true);
    out.push(text.decode(bytes.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return out;
}

/** Whether JSON carries the data exactly (finite numbers, safe integers). */
export function isJsonExact(tensor: WireTensor): boolean {
  if (Array.isArray(tensor.data)) return true;
  for (const v of tensor.data as Iterable<number | bigint>) {
    if (typeof v === "bigint" ? v > 2n ** 53n || v < -(2n ** 53n) : !Number.isFinite(v)) {
      return false;
    }
  }
  return true;
}

function jsonData(tensor: WireTensor): unknown[] {
  if (Array.isArray(tensor.data)) return tensor.data;
  if (tensor.datatype === "BOOL") return Array.from(tensor.data as Uint8Array, (v) => v !== 0);
  return Array.from(tensor.data as Iterable<number | bigint>, Number);
}

/** What a server answered: status, error text, decoded outputs. */
export interface WireAnswer {
  status: number;
  error?: string;
  outputs: WireTensor[];
}

/**
 * REST inference. `binary` sends numeric inputs through the binary
 * extension and asks for binary outputs; otherwise everything is JSON.
 */
export async function inferRest(
  url: string,
  model: string,
  inputs: WireTensor[],
  options: { outputs?: string[]; binary?: boolean; parameters?: Json } = {},
): Promise<WireAnswer> {
  const binary = options.binary ?? false;
  const chunks: Uint8Array[] = [];
  const header: Json = {
    inputs: inputs.map((t) => {
      if (!binary || Array.isArray(t.data)) {
        return { name: t.name, datatype: t.datatype, shape: t.shape, data: jsonData(t) };
      }
      const raw = rawBytes(t);
      chunks.push(raw);
      return {
        name: t.name,
        datatype: t.datatype,
        shape: t.shape,
        parameters: { binary_data_size: raw.length },
      };
    }),
  };
  if (options.parameters !== undefined) header.parameters = options.parameters;
  if (options.outputs !== undefined) {
    header.outputs = options.outputs.map((name) =>
      binary ? { name, parameters: { binary_data: true } } : { name }
    );
  } else if (binary) {
    header.parameters = { ...header.parameters, binary_data_output: true };
  }
  const head = utf8.encode(JSON.stringify(header));
  const body = new Uint8Array(head.length + chunks.reduce((n, c) => n + c.length, 0));
  body.set(head);
  let at = head.length;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  const response = await fetch(`${url}/v2/models/${model}/infer`, {
    method: "POST",
    headers: binary
      ? { "inference-header-content-length": String(head.length) }
      : { "content-type": "application/json" },
    body,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const jsonLength = Number(
    response.headers.get("inference-header-content-length") ?? bytes.length,
  );
  const json = JSON.parse(text.decode(bytes.subarray(0, jsonLength)));
  if (response.status !== 200) return { status: response.status, error: json.error, outputs: [] };
  let offset = jsonLength;
  const outputs = (json.outputs as Json[]).map((o) => {
    const size = o.parameters?.binary_data_size;
    let data: TypedArray | string[];
    if (size !== undefined) {
      data = fromRaw(o.datatype, bytes.subarray(offset, offset + size));
      offset += size;
    } else {
      data = fromJson(o.datatype, o.data);
    }
    return { name: o.name, datatype: o.datatype, shape: o.shape, data };
  });
  return { status: 200, outputs };
}

function fromJson(datatype: Datatype, data: unknown[]): TypedArray | string[] {
  const flat = (data as unknown[]).flat(Infinity);
  if (datatype === "BYTES") return flat as string[];
  const Ctor = ARRAYS[datatype] as unknown as { from(v: unknown[]): TypedArray };
  if (datatype === "INT64" || datatype === "UINT64") {
    return Ctor.from(flat.map((v) => BigInt(v as number)));
  }
  return Ctor.from(flat.map((v) => v === null ? NaN : v === true ? 1 : v === false ? 0 : v));
}

/** gRPC inference with raw contents both ways. */
export async function inferGrpc(
  client: Json,
  model: string,
  inputs: WireTensor[],
  outputs?: string[],
): Promise<WireAnswer> {
  const request: Json = {
    model_name: model,
    inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(String) })),
    raw_input_contents: inputs.map(rawBytes),
  };
  if (outputs !== undefined) request.outputs = outputs.map((name) => ({ name }));
  const { response, error } = await call(client, "ModelInfer", request);
  if (error !== undefined) return { status: error.code, error: error.details, outputs: [] };
  return {
    status: 200,
    outputs: (response.outputs as Json[]).map((o, i) => ({
      name: o.name,
      datatype: o.datatype,
      shape: o.shape.map(Number),
      data: fromRaw(o.datatype, response.raw_output_contents[i]),
    })),
  };
}

/**
 * Where `got` differs from `want` by more than 1e-5 relative (with a floor
 * of 1e-7 absolute: float32 rounds 1 - p to 0 when p is within an ulp of 1),
 * or undefined when they agree. NaN equals NaN; strings and integers must be
 * equal.
 */
export function difference(got: WireTensor, want: WireTensor): string | undefined {
  if (got.datatype !== want.datatype) return `datatype ${got.datatype}, expected ${want.datatype}`;
  const g = Array.from(got.data as ArrayLike<unknown>);
  const w = Array.from(want.data as ArrayLike<unknown>);
  if (g.length !== w.length) return `${g.length} values, expected ${w.length}`;
  for (let i = 0; i < w.length; i++) {
    const a = g[i], b = w[i];
    if (typeof b === "string" || typeof b === "bigint") {
      if (a !== b) return `value ${i} is ${a}, expected ${b}`;
      continue;
    }
    const x = a as number, y = b as number;
    const close = x === y || (Number.isNaN(x) && Number.isNaN(y)) ||
      Math.abs(x - y) <= 1e-5 * Math.abs(y) + 1e-7;
    if (!close) return `value ${i} is ${x}, expected ${y}`;
  }
  return undefined;
}

/** The shape the np codec answers for a result of `shape` ([N] -> [N, 1], [] -> [1]). */
export function npShape(shape: number[]): number[] {
  return shape.length === 0 ? [1] : shape.length === 1 ? [shape[0]!, 1] : shape;
}
