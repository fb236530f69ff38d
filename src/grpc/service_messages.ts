/**
 * The small messages of the other RPCs: name and version requests, the
 * repository's requests and index, health booleans, server and model
 * metadata, and Triton's statistics. Field numbers are those of
 * `proto/dataplane.proto`.
 *
 * @module
 */

import type { ModelStatistics, StatisticDuration } from "../metrics/recorder.ts";
import type {
  MetadataTensor,
  ModelMetadata,
  RepositoryIndexItem,
  ServerMetadata,
} from "../protocol/types.ts";
import { writeParameters, writeShape } from "./messages.ts";
import { ProtoEncoder, ProtoReader, WIRE } from "./wire.ts";

/** Reads `{ name = 1; version = 2 }` (ModelReadyRequest, ModelMetadataRequest). */
export function decodeNameVersion(buf: Uint8Array): { name: string; version: string } {
  const reader = new ProtoReader(buf);
  let name = "";
  let version = "";
  while (!reader.done) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        name = reader.string();
        break;
      case 2:
        version = reader.string();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return { name, version };
}

/** Reads `RepositoryIndexRequest` (`ready = 2`). */
export function decodeRepositoryIndexRequest(buf: Uint8Array): { ready: boolean } {
  const reader = new ProtoReader(buf);
  let ready = false;
  while (!reader.done) {
    const tag = reader.tag();
    if (tag >>> 3 === 2 && (tag & 7) === WIRE.VARINT) ready = reader.uint32() !== 0;
    else reader.skip(tag & 7);
  }
  return { ready };
}

/** Reads the model name (`model_name = 2`) of repository load and unload requests. */
export function decodeRepositoryModelRequest(buf: Uint8Array): { modelName: string } {
  const reader = new ProtoReader(buf);
  let modelName = "";
  while (!reader.done) {
    const tag = reader.tag();
    if (tag >>> 3 === 2 && (tag & 7) === WIRE.LEN) modelName = reader.string();
    else reader.skip(tag & 7);
  }
  return { modelName };
}

const TRUE_RESPONSE = new Uint8Array([0x08, 0x01]);
const FALSE_RESPONSE = new Uint8Array(0);

/** `{ bool = 1 }`: ServerLive, ServerReady and ModelReady responses. */
export function encodeBoolResponse(value: boolean): Uint8Array {
  return value ? TRUE_RESPONSE : FALSE_RESPONSE;
}

/** `ServerMetadataResponse`. */
export function encodeServerMetadata(metadata: ServerMetadata): Uint8Array {
  const out = new ProtoEncoder().string(1, metadata.name).string(2, metadata.version);
  for (const extension of metadata.extensions) out.repeatedString(3, extension);
  return out.finish();
}

/** `ModelMetadataResponse`. */
export function encodeModelMetadata(metadata: ModelMetadata): Uint8Array {
  const out = new ProtoEncoder().string(1, metadata.name);
  for (const version of metadata.versions ?? []) out.repeatedString(2, version);
  out.string(3, metadata.platform);
  for (const tensor of metadata.inputs ?? []) out.message(4, encodeTensorMetadata(tensor));
  for (const tensor of metadata.outputs ?? []) out.message(5, encodeTensorMetadata(tensor));
  writeParameters(out, 6, metadata.parameters);
  return out.finish();
}

function encodeTensorMetadata(tensor: MetadataTensor): ProtoEncoder {
  const out = new ProtoEncoder().string(1, tensor.name).string(2, tensor.datatype);
  writeShape(out, 3, tensor.shape);
  writeParameters(out, 4, tensor.parameters);
  return out;
}

/** `ModelStatisticsResponse` (Triton's statistics extension). */
export function encodeModelStatistics(stats: readonly ModelStatistics[]): Uint8Array {
  const out = new ProtoEncoder();
  for (const model of stats) {
    const entry = new ProtoEncoder().string(1, model.name).string(2, model.version);
    writeUint64(entry, 3, model.last_inference);
    writeUint64(entry, 4, model.inference_count);
    writeUint64(entry, 5, model.execution_count);
    const s = model.inference_stats;
    const inference = new ProtoEncoder();
    const durations = [
      s.success,
      s.fail,
      s.queue,
      s.compute_input,
      s.compute_infer,
      s.compute_output,
      s.cache_hit,
      s.cache_miss,
    ];
    durations.forEach((duration, i) => inference.message(i + 1, encodeDuration(duration)));
    entry.message(6, inference);
    for (const batch of model.batch_stats) {
      const b = new ProtoEncoder();
      writeUint64(b, 1, batch.batch_size);
      b.message(2, encodeDuration(batch.compute_input))
        .message(3, encodeDuration(batch.compute_infer))
        .message(4, encodeDuration(batch.compute_output));
      entry.message(7, b);
    }
    out.message(1, entry);
  }
  return out.finish();
}

function encodeDuration(duration: StatisticDuration): ProtoEncoder {
  const out = new ProtoEncoder();
  writeUint64(out, 1, duration.count);
  writeUint64(out, 2, duration.ns);
  return out;
}

/** A uint64 field (omitted when 0, as proto3 does). */
function writeUint64(out: ProtoEncoder, field: number, value: number): void {
  if (value > 0) out.tag(field, WIRE.VARINT).int(Math.round(value));
}

/** `RepositoryIndexResponse`. */
export function encodeRepositoryIndex(items: readonly RepositoryIndexItem[]): Uint8Array {
  const out = new ProtoEncoder();
  for (const item of items) {
    const entry = new ProtoEncoder()
      .string(1, item.name)
      .string(2, item.version ?? "")
      .string(3, item.state)
      .string(4, item.reason);
    out.message(1, entry);
  }
  return out.finish();
}
