/**
 * Encoding and decoding of ModelInferRequest and ModelInferResponse,
 * straight to and from the server's protocol types (no intermediate message
 * objects); `service_messages.ts` has the other RPCs' small messages. Field numbers
 * are those of `proto/dataplane.proto`; fields may arrive in any order
 * (ModelMesh appends `model_name` at the end of requests it forwards).
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";
import { DecodeBudget } from "../protocol/budget.ts";
import { DATATYPE_INFO, elementCount, isDatatype, MAX_DIMENSIONS } from "../protocol/datatypes.ts";
import {
  checkEnvelope,
  type Envelope,
  type EnvelopeInput,
  type EnvelopeOutput,
} from "../protocol/envelope.ts";
import { checkedData } from "../protocol/outputs.ts";
import { decodeRawTensor, encodeRawTensor } from "../protocol/raw_tensor.ts";
import type { Datatype } from "../protocol/datatypes.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  Parameters,
  RequestInput,
  RequestOutput,
} from "../protocol/types.ts";
import {
  CONTENTS_FIELD,
  type ContentsRange,
  decodeContents,
  encodeContents,
  hasContents,
} from "./contents.ts";
import { ProtoEncoder, ProtoReader, WIRE } from "./wire.ts";

/** A decoded `ModelInferRequest`. */
export interface DecodedInferRequest {
  request: InferenceRequest;
  modelName: string;
  modelVersion: string;
  /** Whether the request carried `raw_input_contents` (answer raw, then). */
  raw: boolean;
}

/** A tensor message (input or output) whose data is not decoded yet. */
export interface PendingInput {
  name: string;
  datatype: string;
  shape: number[];
  parameters?: Parameters;
  contents: ContentsRange[];
}

/**
 * Decodes a `ModelInferRequest`.
 *
 * @throws {InvalidRequestError} naming the problem (malformed bytes, unknown
 * datatype, data that does not match the shape)
 */
export function decodeModelInferRequest(buf: Uint8Array): DecodedInferRequest {
  const reader = new ProtoReader(buf);
  // Inputs, outputs, parameters and raw entries cost objects far larger than
  // their bytes on the wire: counted as they are read.
  const budget = new DecodeBudget(buf.byteLength);
  let modelName = "";
  let modelVersion = "";
  let id: string | undefined;
  let parameters: Parameters | undefined;
  const pending: PendingInput[] = [];
  const outputs: RequestOutput[] = [];
  const raw: Uint8Array[] = [];
  while (!reader.done) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1:
        modelName = reader.string("model_name");
        break;
      case 2:
        modelVersion = reader.string("model_version");
        break;
      case 3:
        id = reader.string("id");
        break;
      case 4:
        parameters ??= {};
        budget.take(1, PARAMETERS);
        readParameterEntry(buf, reader.span("parameters"), parameters);
        break;
      case 5:
        budget.take(2, INPUTS);
        pending.push(readInput(buf, reader.span("inputs"), budget));
        break;
      case 6:
        budget.take(1, OUTPUTS);
        outputs.push(readRequestedOutput(buf, reader.span("outputs"), budget));
        break;
      case 7:
        budget.take(1, RAW);
        raw.push(reader.bytes("raw_input_contents"));
        break;
      default:
        reader.skip(wireType);
    }
  }
  // The envelope rules of both transports, before any tensor data is decoded.
  const envelope: Envelope = { inputs: pending as unknown as EnvelopeInput[] };
  if (id !== undefined) envelope.id = id;
  if (parameters !== undefined) envelope.parameters = parameters;
  if (outputs.length > 0) envelope.outputs = outputs as EnvelopeOutput[];
  checkEnvelope(envelope);
  const request = envelope as unknown as InferenceRequest;
  request.inputs = assignData(buf, envelope.inputs as unknown as PendingInput[], raw, budget);
  return { request, modelName, modelVersion, raw: raw.length > 0 };
}

const PARAMETERS = () => "Invalid inference request: parameters";
const INPUTS = () => "Invalid inference request: inputs";
const OUTPUTS = () => "Invalid inference request: outputs";
const RAW = () => "Invalid inference request: raw_input_contents";

/** Reads an input (or output) tensor message: fields 1 to 5 are the same in both. */
export function readInput(
  buf: Uint8Array,
  [start, end]: [number, number],
  budget: DecodeBudget,
): PendingInput {
  const reader = new ProtoReader(buf, start, end);
  const input: PendingInput = { name: "", datatype: "", shape: [], contents: [] };
  while (!reader.done) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1:
        input.name = reader.string("name");
        break;
      case 2:
        input.datatype = reader.string("datatype");
        break;
      case 3:
        readShape(reader, wireType, input.shape);
        break;
      case 4:
        input.parameters ??= {};
        budget.take(1, PARAMETERS);
        readParameterEntry(buf, reader.span(), input.parameters);
        break;
      case 5:
        budget.take(1, INPUTS);
        input.contents.push(reader.span("contents"));
        break;
      default:
        reader.skip(wireType);
    }
  }
  return input;
}

/** Reads a shape, packed or not. */
export function readShape(reader: ProtoReader, wireType: number, shape: number[]): void {
  if (wireType === WIRE.LEN) {
    const [start, end] = reader.span();
    const inner = new ProtoReader(reader.buf, start, end);
    while (!inner.done) {
      // Checked per dimension: a packed shape of millions must not be read whole first.
      if (shape.length === MAX_DIMENSIONS) tooManyDimensions();
      shape.push(inner.int64("shape"));
    }
  } else {
    if (shape.length === MAX_DIMENSIONS) tooManyDimensions();
    shape.push(reader.int64("shape"));
  }
}

function tooManyDimensions(): never {
  throw new InvalidRequestError(
    `Invalid inference request: a shape has more than ${MAX_DIMENSIONS} dimensions`,
  );
}

/**
 * Turns pending tensors into tensors with data, consuming raw contents in
 * order. `kind` names them in errors: the client decodes outputs with it.
 */
export function assignData(
  buf: Uint8Array,
  pending: PendingInput[],
  raw: Uint8Array[],
  budget: DecodeBudget,
  kind: "input" | "output" = "input",
): RequestInput[] {
  let nextRaw = 0;
  const inputs = pending.map((input): RequestInput => {
    const label = `${kind === "input" ? "Input" : "Output"} '${input.name}'`;
    // Requests passed the envelope already; a server's answer (the client's case) did not.
    if (kind === "output") checkTensorHeader(input, label);
    const datatype = input.datatype as Datatype;
    const count = elementCount(input.shape);
    if (count < 0) {
      throw new InvalidRequestError(`${label}: shape [${input.shape}] holds too many elements`);
    }
    let data;
    if (hasContents(buf, input.contents)) {
      data = decodeContents(buf, input.contents, { datatype, count, label, budget });
    } else if (nextRaw < raw.length) {
      const tensor = { name: input.name, datatype, shape: input.shape };
      data = decodeRawTensor(raw[nextRaw++]!, tensor, { label, budget });
    } else if (count === 0) {
      data = datatype === "BYTES" ? [] : DATATYPE_INFO[datatype].create(0);
    } else {
      throw new InvalidRequestError(`${label}: no data (set contents or raw_${kind}_contents)`);
    }
    const decoded: RequestInput = { name: input.name, datatype, shape: input.shape, data };
    if (input.parameters !== undefined) decoded.parameters = input.parameters;
    return decoded;
  });
  if (nextRaw < raw.length) {
    throw new InvalidRequestError(
      `Invalid inference ${kind === "input" ? "request" : "response"}: raw_${kind}_contents has ` +
        `${raw.length} entries but only ${nextRaw} ${kind}s have no typed contents`,
    );
  }
  return inputs;
}

function readRequestedOutput(
  buf: Uint8Array,
  [start, end]: [number, number],
  budget: DecodeBudget,
): RequestOutput {
  const reader = new ProtoReader(buf, start, end);
  const output: RequestOutput = { name: "" };
  while (!reader.done) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        output.name = reader.string();
        break;
      case 2:
        output.parameters ??= {};
        budget.take(1, PARAMETERS);
        readParameterEntry(buf, reader.span(), output.parameters);
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return output;
}

/** Reads one `map<string, InferParameter>` entry into `target`. */
export function readParameterEntry(
  buf: Uint8Array,
  [start, end]: [number, number],
  target: Parameters,
): void {
  const reader = new ProtoReader(buf, start, end);
  let key = "";
  let value: unknown;
  while (!reader.done) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        key = reader.string();
        break;
      case 2:
        value = readParameterValue(buf, reader.span());
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  if (value !== undefined) target[key] = value;
}

function readParameterValue(buf: Uint8Array, [start, end]: [number, number]): unknown {
  const reader = new ProtoReader(buf, start, end);
  let value: unknown;
  while (!reader.done) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        value = reader.bool();
        break;
      case 2:
        value = reader.int64Loose(true);
        break;
      case 3:
        value = reader.string();
        break;
      case 4:
        value = reader.double();
        break;
      case 5:
        value = reader.int64Loose(false);
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return value;
}

/**
 * `ModelInferResponse`: outputs as typed contents, or all of them in
 * `raw_output_contents` when `raw`.
 *
 * @throws {InvalidRequestError} for an FP16 output in a typed response (no
 * typed field exists for it; the client must ask in raw form)
 * @throws {ServerError} when an output disagrees with its shape
 */
export function encodeModelInferResponse(response: InferenceResponse, raw: boolean): Uint8Array {
  const out = new ProtoEncoder()
    .string(1, response.model_name)
    .string(2, response.model_version ?? "")
    .string(3, response.id ?? "");
  writeParameters(out, 4, response.parameters);
  const rawContents: Uint8Array[] = [];
  for (const output of response.outputs) {
    const data = checkedData(output);
    const tensor = new ProtoEncoder().string(1, output.name).string(2, output.datatype);
    writeShape(tensor, 3, output.shape);
    writeParameters(tensor, 4, output.parameters);
    if (raw) {
      rawContents.push(encodeRawTensor(data));
    } else if (data.length > 0) { // an empty tensor needs no contents, whatever its datatype
      if (CONTENTS_FIELD[output.datatype] === undefined) {
        throw new InvalidRequestError(
          `Output '${output.name}' is ${output.datatype}, which has no typed contents field: ` +
            `send the request with raw_input_contents to receive raw outputs`,
        );
      }
      const contents = new ProtoEncoder();
      encodeContents(contents, output.datatype, data);
      tensor.message(5, contents);
    }
    out.message(5, tensor);
  }
  for (const bytes of rawContents) out.bytes(6, bytes);
  return out.finish();
}

/** Writes a packed `repeated int64` shape. */
export function writeShape(out: ProtoEncoder, field: number, shape: readonly number[]): void {
  if (shape.length === 0) return;
  const packed = new ProtoEncoder();
  for (const dim of shape) packed.int(dim);
  out.message(field, packed);
}

/**
 * Writes a `map<string, InferParameter>`. Booleans, strings, numbers and
 * bigints map to their oneof member; `headers` (sent as metadata) and values
 * a parameter cannot hold (objects, lists, null) are left out, as MLServer
 * does.
 */
export function writeParameters(
  out: ProtoEncoder,
  field: number,
  parameters: Parameters | undefined,
): void {
  if (parameters === undefined || parameters === null) return;
  for (const [key, value] of Object.entries(parameters)) {
    if (key === "headers") continue;
    const param = new ProtoEncoder();
    if (typeof value === "boolean") {
      param.tag(1, WIRE.VARINT).uint32(value ? 1 : 0);
    } else if (typeof value === "string") {
      param.repeatedString(3, value);
    } else if (typeof value === "number") {
      if (Number.isSafeInteger(value)) param.tag(2, WIRE.VARINT).int(value);
      else param.tag(4, WIRE.FIXED64).double(value);
    } else if (typeof value === "bigint") {
      const big = BigInt.asUintN(64, value);
      param.tag(value < 0n || value <= 0x7fffffffffffffffn ? 2 : 5, WIRE.VARINT)
        .varint64(Number(big & 0xffffffffn), Number(big >> 32n));
    } else {
      continue;
    }
    const entry = new ProtoEncoder().string(1, key);
    entry.message(2, param);
    out.message(field, entry);
  }
}

/** A decoded answer's tensor header: a known datatype and no negative dimension. */
function checkTensorHeader(tensor: PendingInput, label: string): void {
  if (!isDatatype(tensor.datatype)) {
    throw new InvalidRequestError(`${label}: unknown datatype ${JSON.stringify(tensor.datatype)}`);
  }
  if (tensor.shape.some((dim) => dim < 0)) {
    throw new InvalidRequestError(`${label}: shape [${tensor.shape}] has a negative dimension`);
  }
}
