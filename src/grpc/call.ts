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
import type { GrpcCallType, MetricsRecorder, Tracer, TraceSpan } from "../metrics/recorder.ts";

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

/** What the measuring wrapper knows of a call: when it arrived, its server span. */
export interface Observed {
  readonly receivedAt?: number | undefined;
  readonly span?: TraceSpan | undefined;
  /** The inference id, once the handler knows it (for the access line). */
  requestId?: string | undefined;
  /** When the handler finished its answer, if it read the clock anyway (`performance.now()`). */
  finishedAt?: number | undefined;
}

/** A unary handler: decoded by the handler itself, since grpc-js moves bytes only. */
export type UnaryHandler = (
  request: Uint8Array,
  call: IncomingCall,
  observed: Observed,
) => Promise<Reply> | Reply;

/** How calls of one service are measured. */
export interface CallObserver {
  /** The full service name (`inference.GRPCInferenceService`). */
  service: string;
  metrics?: MetricsRecorder | undefined;
  tracer?: Tracer | undefined;
  /** The access logger: a line per call at debug level. */
  access?: Logger | undefined;
}

/** Codes that mark a server span as failed (OpenTelemetry's gRPC conventions: server faults). */
const SERVER_FAULTS = new Set([2, 4, 12, 13, 14, 15]);

/** RPCs that are neither measured nor traced (MLServer leaves out the health checks). */
const UNMEASURED = new Set(["ServerLive", "ServerReady"]);

/** The grpc status names of the codes (`grpc_code` labels, as py-grpc-prometheus writes them). */
const CODE_NAMES: readonly string[] = Object.entries(grpc.status)
  .filter(([, code]) => typeof code === "number")
  .sort(([, a], [, b]) => (a as number) - (b as number))
  .map(([name]) => name);

/** The name of a grpc status code. */
export function codeName(code: number): string {
  return CODE_NAMES[code] ?? "UNKNOWN";
}

/**
 * Starts measuring one call: its metrics, its server span (continuing the
 * caller's `traceparent` from the metadata) and, at debug level, its access
 * line. Returns what the handler needs and the function that ends it.
 */
export function observeCall(
  observer: CallObserver | undefined,
  rpc: string,
  type: GrpcCallType,
  metadata: grpc.Metadata,
): { observed: Observed; done: (code: number, error?: string) => void } | undefined {
  if (observer === undefined || UNMEASURED.has(rpc)) return undefined;
  const metrics = observer.metrics?.transport === true ? observer.metrics : undefined;
  const logged = observer.access?.enabled("debug") === true;
  const { tracer, service } = observer;
  if (metrics === undefined && tracer === undefined && !logged) return undefined;
  const receivedAt = performance.now();
  metrics?.grpcStarted(service, rpc, type);
  const span = tracer?.server(`${service}/${rpc}`, {
    traceparent: firstString(metadata, "traceparent"),
    tracestate: firstString(metadata, "tracestate"),
  }, { "rpc.system": "grpc", "rpc.service": service, "rpc.method": rpc });
  const observed: Observed = { receivedAt, span };
  const call = { service, method: rpc, type };
  const done = (code: number, error?: string): void => {
    const name = codeName(code);
    const finishedAt = observed.finishedAt ?? performance.now();
    metrics?.grpcFinished(call, name, (finishedAt - receivedAt) / 1000);
    if (span !== undefined) {
      span.set("rpc.grpc.status_code", code);
      if (error !== undefined && SERVER_FAULTS.has(code)) span.fail(error);
      span.end();
    }
    if (logged) {
      const ms = (finishedAt - receivedAt).toFixed(2);
      observer.access!.debug(`${service}/${rpc} ${name} ${ms}ms id=${observed.requestId ?? "-"}`);
    }
  };
  return { observed, done };
}

function firstString(metadata: grpc.Metadata, key: string): string | undefined {
  const [value] = metadata.get(key);
  return typeof value === "string" ? value : undefined;
}

/** Wraps a bytes view as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const identity = (value: Buffer): Buffer => value;

/**
 * A method whose messages grpc-js hands over as they are on the wire: every
 * service of ours decodes and encodes them with `wire.ts` itself.
 */
export function rawMethod(
  service: string,
  name: string,
  streams: { request: boolean; response: boolean },
): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/${service}/${name}`,
    requestStream: streams.request,
    responseStream: streams.response,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: name,
  };
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
  observer?: CallObserver,
): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    const observing = observeCall(observer, rpc, "unary", call.metadata);
    const fail = (err: unknown): void => {
      const status = statusFor(err, rpc, log);
      observing?.done(status.code, status.details);
      callback(status);
    };
    let reply: Promise<Reply> | Reply;
    try {
      reply = handler(call.request, call, observing?.observed ?? {});
    } catch (err) {
      fail(err);
      return;
    }
    Promise.resolve(reply).then(
      ({ body, trailer }) => {
        observing?.done(grpc.status.OK);
        callback(null, asBuffer(body), trailer);
      },
      fail,
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

/**
 * The call context of an inference call. Its cancellation signal is made
 * only when something waits on it (most calls never do).
 */
export function callContext(
  name: string,
  version: string,
  call: IncomingCall,
  options: { observed?: Observed | undefined } = {},
): CallContext {
  return {
    name: modelNameOf(name, call.metadata),
    version,
    cancellation: () => cancellationOf(call),
    headers: () => metadataRecord(call.metadata),
    receivedAt: options.observed?.receivedAt,
    span: options.observed?.span,
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
