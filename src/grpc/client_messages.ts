/**
 * The client's side of the V2 gRPC messages: requests encoded and responses
 * decoded with the same tensor, shape and parameter code the server uses
 * (`messages.ts`, `contents.ts`, `protocol/raw_tensor.ts`), mirrored.
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";
import { isDatatype } from "../protocol/datatypes.ts";
import { encodeRawTensor } from "../protocol/raw_tensor.ts";
import type {
  InferenceRequest,
  InferenceResponse,
  MetadataTensor,
  ModelMetadata,
  ModelState,
  Parameters,
  RepositoryIndexItem,
  ResponseOutput,
  ServerMetadata,
} from "../protocol/types.ts";
import { CONTENTS_FIELD, encodeContents } from "./contents.ts";
import { DecodeBudget } from "../protocol/budget.ts";
import {
  assignData,
  type PendingInput,
  readInput,
  readParameterEntry,
  readShape,
  writeParameters,
  writeShape,
} from "./messages.ts";
import { ProtoEncoder, ProtoReader, WIRE } from "./wire.ts";

/**
 * `ModelInferRequest`. With `raw`, every input goes in `raw_input_contents`
 * (and the server answers in `raw_output_contents`); else each input has
 * typed contents, except FP16, which has no typed field and makes the whole
 * request raw.
 */
export function encodeModelInferRequest(
  request: InferenceRequest,
  options: { name: string; version?: string | undefined; raw: boolean },
): { body: Uint8Array; raw: boolean } {
  const asRaw = options.raw ||
    request.inputs.some((input) => CONTENTS_FIELD[input.datatype] === undefined);
  const out = new ProtoEncoder()
    .string(1, options.name)
    .string(2, options.version ?? "")
    .string(3, request.id ?? "");
  writeParameters(out, 4, request.parameters);
  const rawContents: Uint8Array[] = [];
  for (const input of request.inputs) {
    const tensor = new ProtoEncoder().string(1, input.name).string(2, input.datatype);
    writeShape(tensor, 3, input.shape);
    writeParameters(tensor, 4, input.parameters);
    if (asRaw) {
      rawContents.push(encodeRawTensor(input.data));
    } else if (input.data.length > 0) {
      const contents = new ProtoEncoder();
      encodeContents(contents, input.datatype, input.data);
      tensor.message(5, contents);
    }
    out.message(5, tensor);
  }
  for (const output of request.outputs ?? []) {
    const requested = new ProtoEncoder().string(1, output.name);
    writeParameters(requested, 2, output.parameters);
    out.message(6, requested);
  }
  for (const bytes of rawContents) out.bytes(7, bytes);
  return { body: out.finish(), raw: asRaw };
}

/**
 * Decodes a `ModelInferResponse`: typed contents and raw contents become
 * typed arrays (BYTES: `Uint8Array` elements), as on the server.
 *
 * @throws {InvalidRequestError} for malformed bytes or data that does not fill its shape
 */
export function decodeModelInferResponse(buf: Uint8Array): InferenceResponse {
  const reader = new ProtoReader(buf);
  // A server's answer is bounded like a request: objects in proportion to its size.
  const budget = new DecodeBudget(buf.byteLength);
  const response: InferenceResponse = { model_name: "", outputs: [] };
  let parameters: Parameters | undefined;
  const pending: PendingInput[] = [];
  const raw: Uint8Array[] = [];
  while (!reader.done) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        response.model_name = reader.string("model_name");
        break;
      case 2:
        response.model_version = reader.string("model_version");
        break;
      case 3:
        response.id = reader.string("id");
        break;
      case 4:
        parameters ??= {};
        budget.take(1, PARAMETERS);
        readParameterEntry(buf, reader.span("parameters"), parameters);
        break;
      case 5:
        budget.take(2, OUTPUTS);
        pending.push(readInput(buf, reader.span("outputs"), budget));
        break;
      case 6:
        budget.take(1, RAW);
        raw.push(reader.bytes("raw_output_contents"));
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  if (parameters !== undefined) response.parameters = parameters;
  response.outputs = assignData(buf, pending, raw, budget, "output") as ResponseOutput[];
  return response;
}

// What the response's top-level entries cost, charged as the server's decoder charges a request's.
const PARAMETERS = () => "Malformed response: parameters";
const OUTPUTS = () => "Malformed response: outputs";
const RAW = () => "Malformed response: raw_output_contents";

/** `{ name = 1; version = 2 }`: ModelReadyRequest, ModelMetadataRequest. */
export function encodeNameVersion(name: string, version: string | undefined): Uint8Array {
  return new ProtoEncoder().string(1, name).string(2, version ?? "").finish();
}

/** `{ bool = 1 }`: ServerLive, ServerReady and ModelReady responses. */
export function decodeBoolResponse(buf: Uint8Array): boolean {
  const reader = new ProtoReader(buf);
  let value = false;
  while (!reader.done) {
    const tag = reader.tag();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE.VARINT) value = reader.bool();
    else reader.skip(tag & 7);
  }
  return value;
}

/** `ServerMetadataResponse`. */
export function decodeServerMetadata(buf: Uint8Array): ServerMetadata {
  const reader = new ProtoReader(buf);
  const metadata: ServerMetadata = { name: "", version: "", extensions: [] };
  while (!reader.done) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        metadata.name = reader.string("name");
        break;
      case 2:
        metadata.version = reader.string("version");
        break;
      case 3:
        metadata.extensions.push(reader.string("extensions"));
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return metadata;
}

/** `ModelMetadataResponse`. */
export function decodeModelMetadata(buf: Uint8Array): ModelMetadata {
  const reader = new ProtoReader(buf);
  const metadata: ModelMetadata = { name: "", versions: [], platform: "", inputs: [], outputs: [] };
  while (!reader.done) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        metadata.name = reader.string("name");
        break;
      case 2:
        metadata.versions!.push(reader.string("versions"));
        break;
      case 3:
        metadata.platform = reader.string("platform");
        break;
      case 4:
        metadata.inputs!.push(readTensorMetadata(buf, reader.span("inputs")));
        break;
      case 5:
        metadata.outputs!.push(readTensorMetadata(buf, reader.span("outputs")));
        break;
      case 6:
        metadata.parameters ??= {};
        readParameterEntry(buf, reader.span("parameters"), metadata.parameters);
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return metadata;
}

function readTensorMetadata(buf: Uint8Array, [start, end]: [number, number]): MetadataTensor {
  const reader = new ProtoReader(buf, start, end);
  let name = "";
  let datatype = "";
  const shape: number[] = [];
  let parameters: Parameters | undefined;
  while (!reader.done) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        name = reader.string("name");
        break;
      case 2:
        datatype = reader.string("datatype");
        break;
      case 3:
        readShape(reader, tag & 7, shape);
        break;
      case 4:
        parameters ??= {};
        readParameterEntry(buf, reader.span("parameters"), parameters);
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  if (!isDatatype(datatype)) {
    throw new InvalidRequestError(`Tensor '${name}': unknown datatype ${JSON.stringify(datatype)}`);
  }
  const tensor: MetadataTensor = { name, datatype, shape };
  if (parameters !== undefined) tensor.parameters = parameters;
  return tensor;
}

/** `RepositoryIndexRequest`. */
export function encodeRepositoryIndexRequest(ready: boolean): Uint8Array {
  const out = new ProtoEncoder();
  if (ready) out.tag(2, WIRE.VARINT).uint32(1);
  return out.finish();
}

/** `RepositoryIndexResponse`. */
export function decodeRepositoryIndex(buf: Uint8Array): RepositoryIndexItem[] {
  const reader = new ProtoReader(buf);
  const items: RepositoryIndexItem[] = [];
  while (!reader.done) {
    const tag = reader.tag();
    if (tag >>> 3 !== 1) {
      reader.skip(tag & 7);
      continue;
    }
    const [start, end] = reader.span("models");
    const entry = new ProtoReader(buf, start, end);
    const item: RepositoryIndexItem = { name: "", state: "UNKNOWN", reason: "" };
    while (!entry.done) {
      const field = entry.tag();
      switch (field >>> 3) {
        case 1:
          item.name = entry.string("name");
          break;
        case 2:
          item.version = entry.string("version");
          break;
        case 3:
          item.state = entry.string("state") as ModelState;
          break;
        case 4:
          item.reason = entry.string("reason");
          break;
        default:
          entry.skip(field & 7);
      }
    }
    items.push(item);
  }
  return items;
}

/** `RepositoryModelLoadRequest` and `RepositoryModelUnloadRequest` (`model_name = 2`). */
export function encodeRepositoryModelRequest(name: string): Uint8Array {
  return new ProtoEncoder().string(2, name).finish();
}
