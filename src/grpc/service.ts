/**
 * The gRPC services: `inference.GRPCInferenceService` (the V2 data plane
 * plus MLServer's repository and streaming RPCs) and the older
 * `inference.model_repository.ModelRepositoryService`. grpc-js moves bytes
 * only (identity serializers); each handler decodes and encodes with
 * `messages.ts`, so a malformed message is the client's INVALID_ARGUMENT, not
 * grpc-js's INTERNAL. This is the one catch site for gRPC errors.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import type { DataPlane } from "../dataplane/dataplane.ts";
import type { RepositoryHandlers } from "../dataplane/repository_handlers.ts";
import { isServerFault, messageOf, toGrpcStatus } from "../errors.ts";
import type { Logger } from "../logging.ts";
import { withLazyHeaders } from "../protocol/parameters.ts";
import type { InferenceRequest } from "../protocol/types.ts";
import {
  decodeModelInferRequest,
  decodeNameVersion,
  decodeRepositoryIndexRequest,
  decodeRepositoryModelRequest,
  encodeBoolResponse,
  encodeModelInferResponse,
  encodeModelMetadata,
  encodeRepositoryIndex,
  encodeServerMetadata,
} from "./messages.ts";

/** What the services call. */
export interface GrpcDeps {
  dataplane: DataPlane;
  repository: RepositoryHandlers;
  logger: Logger;
}

/** A service ready for `server.addService()`. */
export interface GrpcService {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

/** The answer of a unary handler: the encoded message and optional trailers. */
interface Reply {
  body: Uint8Array;
  trailer?: grpc.Metadata;
}

type UnaryHandler = (request: Uint8Array, metadata: grpc.Metadata) => Promise<Reply> | Reply;

const identity = (value: Buffer): Buffer => value;

function method(
  service: string,
  name: string,
  stream: boolean,
): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/${service}/${name}`,
    requestStream: stream,
    responseStream: stream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: name,
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Sends a handler's error as a status, logging the stack of server faults once. */
function statusFor(err: unknown, rpc: string, log: Logger): grpc.ServiceError {
  if (isServerFault(err)) log.error(`${rpc} failed: ${messageOf(err)}`, { err });
  else if (log.enabled("debug")) log.debug(`${rpc}: ${messageOf(err)}`);
  const { code, details } = toGrpcStatus(err);
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

function unary(
  rpc: string,
  handler: UnaryHandler,
  log: Logger,
): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    let reply: Promise<Reply> | Reply;
    try {
      reply = handler(call.request, call.metadata);
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

/** Metadata as a plain object; binary (`-bin`) values are read as UTF-8. */
function metadataRecord(metadata: grpc.Metadata): Record<string, string> {
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
function modelNameOf(name: string, metadata: grpc.Metadata): string {
  if (name !== "") return name;
  const [plain] = metadata.get("mm-model-id");
  if (typeof plain === "string" && plain !== "") return plain;
  const [binary] = metadata.get("mm-model-id-bin");
  return binary instanceof Uint8Array ? Buffer.from(binary).toString("utf8") : "";
}

/** Response `parameters.headers` as trailing metadata (lower-case keys). */
function trailerOf(headers: Record<string, unknown> | undefined): grpc.Metadata | undefined {
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

/** Decodes a ModelInferRequest and attaches the call's metadata as headers. */
function readInfer(bytes: Uint8Array, metadata: grpc.Metadata) {
  const decoded = decodeModelInferRequest(bytes);
  decoded.request.parameters = withLazyHeaders(
    decoded.request.parameters,
    () => metadataRecord(metadata),
  );
  decoded.modelName = modelNameOf(decoded.modelName, metadata);
  return decoded;
}

/** `inference.GRPCInferenceService`. */
export function inferenceService({ dataplane, repository, logger }: GrpcDeps): GrpcService {
  const name = "inference.GRPCInferenceService";
  const log = logger.child("grpc");
  const handlers: Record<string, UnaryHandler> = {
    ServerLive: () => ({ body: encodeBoolResponse(dataplane.live()) }),
    ServerReady: () => ({ body: encodeBoolResponse(dataplane.ready()) }),
    ModelReady: (bytes, metadata) => {
      const { name: model, version } = decodeNameVersion(bytes);
      return {
        body: encodeBoolResponse(dataplane.modelReady(modelNameOf(model, metadata), version)),
      };
    },
    ServerMetadata: () => ({ body: encodeServerMetadata(dataplane.metadata()) }),
    ModelMetadata: async (bytes, metadata) => {
      const { name: model, version } = decodeNameVersion(bytes);
      return {
        body: encodeModelMetadata(
          await dataplane.modelMetadata(modelNameOf(model, metadata), version),
        ),
      };
    },
    ModelInfer: async (bytes, metadata) => {
      const { request, modelName, modelVersion, raw } = readInfer(bytes, metadata);
      const response = await dataplane.infer(request, modelName, modelVersion);
      const trailer = trailerOf(response.parameters?.headers);
      const body = encodeModelInferResponse(response, raw);
      return trailer === undefined ? { body } : { body, trailer };
    },
    ...repositoryHandlers(repository),
  };
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [rpc, handler] of Object.entries(handlers)) {
    definition[rpc] = method(name, rpc, false);
    implementation[rpc] = unary(rpc, handler, log);
  }
  definition.ModelStreamInfer = method(name, "ModelStreamInfer", true);
  implementation.ModelStreamInfer = streamInfer(dataplane, log);
  return { definition: definition as grpc.ServiceDefinition, implementation };
}

/** `inference.model_repository.ModelRepositoryService` (ModelMesh adapters up to v0.10). */
export function modelRepositoryService({ repository, logger }: GrpcDeps): GrpcService {
  const name = "inference.model_repository.ModelRepositoryService";
  const log = logger.child("grpc");
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [rpc, handler] of Object.entries(repositoryHandlers(repository))) {
    definition[rpc] = method(name, rpc, false);
    implementation[rpc] = unary(rpc, handler, log);
  }
  return { definition: definition as grpc.ServiceDefinition, implementation };
}

function repositoryHandlers(repository: RepositoryHandlers): Record<string, UnaryHandler> {
  return {
    RepositoryIndex: async (bytes) => {
      const { ready } = decodeRepositoryIndexRequest(bytes);
      return { body: encodeRepositoryIndex(await repository.index(ready)) };
    },
    RepositoryModelLoad: async (bytes) => {
      await repository.load(decodeRepositoryModelRequest(bytes).modelName);
      return { body: new Uint8Array(0) };
    },
    RepositoryModelUnload: async (bytes) => {
      await repository.unload(decodeRepositoryModelRequest(bytes).modelName);
      return { body: new Uint8Array(0) };
    },
  };
}

/** Messages read ahead of the model before the call stops reading (HTTP/2 flow control then holds the client). */
const READ_AHEAD = 8;

/**
 * The messages of a client stream, read through events. (The stream's own
 * async iterator destroys the call when the client half-closes, which
 * grpc-js reports as CANCELLED before the server has answered.) Reading
 * pauses while `READ_AHEAD` messages wait, so a client cannot outrun a slow
 * model into the server's memory.
 */
export function messages(
  call: Pick<grpc.ServerDuplexStream<Buffer, Buffer>, "on" | "pause" | "resume">,
): AsyncIterator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  call.on("data", (message: Buffer) => {
    queue.push(message);
    if (queue.length >= READ_AHEAD) call.pause();
    notify();
  });
  const finish = (): void => {
    ended = true;
    notify();
  };
  call.on("end", finish);
  call.on("cancelled", finish);
  call.on("error", (err: unknown) => {
    failure = err;
    notify();
  });
  return {
    async next(): Promise<IteratorResult<Buffer>> {
      while (queue.length === 0 && !ended && failure === undefined) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      if (queue.length > 0) {
        const value = queue.shift()!;
        if (queue.length < READ_AHEAD / 2) call.resume();
        return { done: false, value };
      }
      if (failure !== undefined) throw failure;
      return { done: true, value: undefined };
    },
  };
}

/**
 * ModelStreamInfer: the first message fixes the model, the version and the
 * raw-or-typed answer form. Responses stream back as the model yields them;
 * an error ends the call with its status; response headers of the last
 * response go out as trailers.
 */
function streamInfer(
  dataplane: DataPlane,
  log: Logger,
): grpc.handleBidiStreamingCall<Buffer, Buffer> {
  return (call) => {
    const run = async (): Promise<grpc.Metadata | undefined> => {
      const incoming = messages(call);
      const first = await incoming.next();
      if (first.done) return undefined;
      const head = readInfer(first.value, call.metadata);
      async function* requests(): AsyncGenerator<InferenceRequest> {
        yield head.request;
        while (true) {
          const next = await incoming.next();
          if (next.done) return;
          yield readInfer(next.value, call.metadata).request;
        }
      }
      let lastHeaders: Record<string, unknown> | undefined;
      for await (
        const response of dataplane.inferStream(requests(), head.modelName, head.modelVersion)
      ) {
        if (call.cancelled) break;
        lastHeaders = response.parameters?.headers;
        call.write(asBuffer(encodeModelInferResponse(response, head.raw)));
      }
      return trailerOf(lastHeaders);
    };
    run().then(
      (trailer) => {
        if (!call.cancelled) call.end(trailer);
      },
      (err) => {
        if (!call.cancelled) call.emit("error", statusFor(err, "ModelStreamInfer", log));
      },
    );
  };
}
