/**
 * Micro-batches of `mlserver infer --batch-size N`, as MLServer builds them:
 * the requests of a batch become one request whose inputs are concatenated
 * along the first dimension (input order kept, parameters merged with the
 * later request winning), and each output of the answer is split back by
 * each request's share of that dimension. Requests that cannot be merged
 * with the others (other input names, datatypes or inner dimensions) go in a
 * group of their own rather than failing.
 *
 * @module
 */

import {
  DATATYPE_INFO,
  type NumericDatatype,
  type TensorData,
  type TypedArray,
} from "../protocol/datatypes.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  RequestOutput,
  ResponseOutput,
} from "../protocol/types.ts";

/** One line of the input file, decoded. */
export interface BatchItem {
  /** The line's index in the file, from 0. */
  index: number;
  request: InferenceRequest;
}

/** Requests sent as one: the merged request and how to split its answer. */
export interface MergedGroup {
  items: BatchItem[];
  request: InferenceRequest;
  /** Each item's rows (first dimension of its first input). */
  rows: number[];
}

/** What makes two requests mergeable: inputs by name, datatype and inner shape. */
function signature(request: InferenceRequest): string {
  return request.inputs.map((i) => `${i.name}:${i.datatype}:${i.shape.slice(1).join("x")}`)
    .join("|");
}

/**
 * Groups a batch's requests into merged requests. A request whose inputs
 * have no first dimension, or disagree on it, is sent as it is.
 *
 * @param newId makes the id of a request merged from several
 */
export function mergeBatch(items: readonly BatchItem[], newId: () => string): MergedGroup[] {
  const groups = new Map<string, BatchItem[]>();
  for (const item of items) {
    const inputs = item.request.inputs;
    const rows = inputs[0]?.shape[0];
    const batchable = rows !== undefined && inputs.every((i) => i.shape[0] === rows);
    const key = batchable ? signature(item.request) : `single:${item.index}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return [...groups.values()].map((group) => merge(group, newId));
}

function merge(items: BatchItem[], newId: () => string): MergedGroup {
  const first = items[0]!.request;
  const rows = items.map((item) => item.request.inputs[0]?.shape[0] ?? 0);
  if (items.length === 1) {
    return { items, rows, request: { ...first, id: first.id ?? newId() } };
  }
  const total = rows.reduce((a, b) => a + b, 0);
  const inputs = first.inputs.map((input, position) => ({
    ...input,
    shape: [total, ...input.shape.slice(1)],
    data: concat(items.map((item) => item.request.inputs[position]!.data), input.datatype),
  }));
  const request: InferenceRequest = { id: newId(), inputs };
  const parameters = Object.assign({}, ...items.map((item) => item.request.parameters ?? {}));
  if (Object.keys(parameters).length > 0) request.parameters = parameters;
  const outputs = new Map<string, RequestOutput>();
  for (const item of items) {
    for (const output of item.request.outputs ?? []) {
      if (!outputs.has(output.name)) outputs.set(output.name, output);
    }
  }
  if (items.some((item) => item.request.outputs !== undefined)) {
    request.outputs = [...outputs.values()];
  }
  return { items, rows, request };
}

function concat(parts: TensorData[], datatype: string): TensorData {
  if (datatype === "BYTES") return (parts as unknown[][]).flat() as TensorData;
  const info = DATATYPE_INFO[datatype as NumericDatatype];
  let length = 0;
  for (const part of parts) length += part.length;
  const out = info.create(length) as TypedArray;
  let offset = 0;
  for (const part of parts) {
    (out as Float32Array).set(part as Float32Array, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Splits the answer of a merged request into one response per item. Each
 * output must have the merged batch as its first dimension.
 *
 * @throws {Error} naming an output that cannot be split
 */
export function splitResponse(
  group: MergedGroup,
  response: InferenceResponse,
): InferenceResponse[] {
  if (group.items.length === 1) return [response];
  const total = group.rows.reduce((a, b) => a + b, 0);
  for (const output of response.outputs) {
    if (output.shape[0] !== total) {
      throw new Error(
        `Cannot split output '${output.name}' of shape [${output.shape}] into ${group.items.length} ` +
          `answers: its first dimension is not the batch of ${total} (use --batch-size 1)`,
      );
    }
  }
  let start = 0;
  return group.rows.map((rows, position) => {
    const outputs = response.outputs.map((output): ResponseOutput => {
      const inner = output.shape.slice(1).reduce((a, b) => a * b, 1);
      const data = output.data as TensorData;
      const sliced = Array.isArray(data)
        ? data.slice(start * inner, (start + rows) * inner)
        : (data as TypedArray).subarray(start * inner, (start + rows) * inner);
      return { ...output, shape: [rows, ...output.shape.slice(1)], data: sliced };
    });
    start += rows;
    const part: InferenceResponse = { ...response, outputs };
    const id = group.items[position]!.request.id;
    if (id === undefined) delete part.id;
    else part.id = id;
    return part;
  });
}
