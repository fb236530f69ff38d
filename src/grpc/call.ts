/**
 * One gRPC call as the data plane sees it, and the one place gRPC errors
 * become statuses: unary handlers run through `unary()`, whose catch site
 * maps every error with `toGrpcStatus` and logs server faults once with
 * their stack. Also the metadata translations: metadata in as headers,
 * ModelMesh's `mm-model-id` routing, response headers out as trailers, and
 * the call's cancellation as an `AbortSignal`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import type { CallContext } from "../dataplane/call.ts";
import { isServerFault, messageOf, statusOf, toGrpcStatus } from "../errors.ts";
import type { Logger } from "../logging.ts";

/** The answer of a unary handler: the encoded message and optional trailers. */
export interface Reply {
  body: Uint8Array;
  trailer?: grpc.Metadata;
}

/** The parts of a grpc-js call (unary or streaming) a handler reads. */
export interface IncomingCall {
  readonly metadata: grpc.Metadata;
  readonly cancelled: boolean;
  on(event: "cancelled", listener: () => void): unknown;
}

/** A unary handler: decoded by the handler itself, since grpc-js moves bytes only. */
export type UnaryHandler = (request: Uint8Array, call: IncomingCall) => Promise<Reply> | Reply;

/** Wraps a bytes view as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Maps a handler's error to a status, logging the stack of server faults once. */
export function statusFor(err: unknown, rpc: string, log: Logger): grpc.ServiceError {
  if (isServerFault(err)) log.error(`${rpc} failed: ${messageOf(err)}`, { err });
  else if (log.enabled("debug")) log.debug(`${rpc} -> ${statusOf(err)}: ${messageOf(err)}`);
  const { code, details } = toGrpcStatus(err);
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

/** A grpc-js unary handler around `handler`: the catch site of unary calls. */
export function unary(
  rpc: string,
  handler: UnaryHandler,
  log: Logger,
): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    let reply: Promise<Reply> | Reply;
    try {
      reply = handler(call.request, call);
    } catch (err) {
      callback(statusFor(err, rpc, log));
      return;
    }
    Promise.resolve(reply).then(
      ({ body, trailer }) => callback(null, asBuffer(body), trailer),
      (err) => callback(statusFor(err, rpc, log)),
    );
  };
}

/**
 * An `AbortSignal` that aborts when grpc-js reports the call cancelled: the
 * client cancelled, disconnected, or its deadline passed (grpc-js has then
 * already answered DEADLINE_EXCEEDED).
 */
export function cancellationOf(call: IncomingCall): AbortSignal {
  const controller = new AbortController();
  if (call.cancelled) controller.abort();
  else call.on("cancelled", () => controller.abort());
  return controller.signal;
}

/** The call context of an inference call. */
export function callContext(
  name: string,
  version: string,
  call: IncomingCall,
  signal: AbortSignal,
): CallContext {
  return {
    name: modelNameOf(name, call.metadata),
    version,
    signal,
    headers: () => metadataRecord(call.metadata),
  };
}

/** Metadata as a plain object; binary (`-bin`) values are read as UTF-8. */
export function metadataRecord(metadata: grpc.Metadata): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    record[key] = typeof value === "string" ? value : Buffer.from(value).toString("utf8");
  }
  return record;
}

/**
 * The model a request names: `model_name`, or ModelMesh's `mm-model-id`
 * metadata when the field is empty.
 */
export function modelNameOf(name: string, metadata: grpc.Metadata): string {
  if (name !== "") return name;
  const [plain] = metadata.get("mm-model-id");
  if (typeof plain === "string" && plain !== "") return plain;
  const [binary] = metadata.get("mm-model-id-bin");
  return binary instanceof Uint8Array ? Buffer.from(binary).toString("utf8") : "";
}

/** Response `parameters.headers` as trailing metadata (lower-case keys). */
export function trailerOf(headers: Record<string, unknown> | undefined): grpc.Metadata | undefined {
  if (headers === undefined) return undefined;
  const trailer = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) {
    try {
      trailer.set(key.toLowerCase(), String(value));
    } catch {
      // Not a valid metadata key or value: nothing sensible to send.
    }
  }
  return trailer;
}
