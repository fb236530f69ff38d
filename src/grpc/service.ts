/**
 * The gRPC services: `inference.GRPCInferenceService` (the V2 data plane
 * plus MLServer's repository and streaming RPCs) and the older
 * `inference.model_repository.ModelRepositoryService`. grpc-js moves bytes
 * only (identity serializers); each handler decodes and encodes with
 * `messages.ts`, so a malformed message is the client's INVALID_ARGUMENT, not
 * grpc-js's INTERNAL. Errors reach the wire through `call.ts`.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type * as grpc from "@grpc/grpc-js";
import type { DataPlaneApi } from "../dataplane/dataplane.ts";
import type { RepositoryHandlers } from "../dataplane/repository_handlers.ts";
import type { Logger } from "../logging.ts";
import type { MetricsRecorder, Tracer } from "../metrics/recorder.ts";
import {
  callContext,
  type CallObserver,
  cancellationOf,
  modelNameOf,
  rawMethod,
  trailerOf,
  unary,
  type UnaryHandler,
} from "./call.ts";
import { decodeModelInferRequest, encodeModelInferResponse } from "./messages.ts";
import {
  decodeNameVersion,
  decodeRepositoryIndexRequest,
  decodeRepositoryModelRequest,
  encodeBoolResponse,
  encodeModelMetadata,
  encodeModelStatistics,
  encodeRepositoryIndex,
  encodeServerMetadata,
} from "./service_messages.ts";
import { streamInfer } from "./stream.ts";

/** What the services call. */
export interface GrpcDeps {
  dataplane: DataPlaneApi;
  repository: Pick<RepositoryHandlers, "index" | "load" | "unload">;
  logger: Logger;
  /** Where calls are reported; default nowhere. */
  metrics?: MetricsRecorder | undefined;
  /** Opens each call's server span when tracing is on. */
  tracer?: Tracer | undefined;
}

/** A service ready for `server.addService()`. */
export interface GrpcService {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

/** The data-plane RPCs of `inference.GRPCInferenceService`, by name. */
export function inferenceHandlers(dataplane: DataPlaneApi): Record<string, UnaryHandler> {
  return {
    ServerLive: () => ({ body: encodeBoolResponse(dataplane.live()) }),
    ServerReady: () => ({ body: encodeBoolResponse(dataplane.ready()) }),
    ModelReady: (bytes, call) => {
      const { name, version } = decodeNameVersion(bytes);
      const ready = dataplane.modelReady(modelNameOf(name, call.metadata), version);
      return { body: encodeBoolResponse(ready) };
    },
    ServerMetadata: () => ({ body: encodeServerMetadata(dataplane.metadata()) }),
    ModelMetadata: async (bytes, call) => {
      const { name, version } = decodeNameVersion(bytes);
      const metadata = await dataplane.modelMetadata(modelNameOf(name, call.metadata), version);
      return { body: encodeModelMetadata(metadata) };
    },
    ModelInfer: async (bytes, call, observed) => {
      const { request, modelName, modelVersion, raw } = decodeModelInferRequest(bytes);
      const context = callContext(modelName, modelVersion, call, { observed });
      const response = await dataplane.infer(request, context);
      observed.requestId = request.id;
      const trailer = trailerOf(response.parameters?.headers);
      const body = encodeModelInferResponse(response, raw);
      const meter = context.meter;
      if (meter !== undefined) {
        const now = performance.now();
        observed.finishedAt = now;
        meter.encoded(now - (context.answeredAt ?? now));
      }
      return trailer === undefined ? { body } : { body, trailer };
    },
    ModelStatistics: (bytes, call) => {
      const { name, version } = decodeNameVersion(bytes);
      const named = name === "" ? "" : modelNameOf(name, call.metadata);
      return { body: encodeModelStatistics(dataplane.modelStatistics(named, version)) };
    },
  };
}

/** The repository RPCs, shared by both services. */
export function repositoryHandlers(
  repository: GrpcDeps["repository"],
): Record<string, UnaryHandler> {
  return {
    RepositoryIndex: async (bytes) => {
      const { ready } = decodeRepositoryIndexRequest(bytes);
      return { body: encodeRepositoryIndex(await repository.index(ready)) };
    },
    RepositoryModelLoad: async (bytes, call) => {
      // ModelMesh cancels a load that takes too long and unloads at once.
      await repository.load(decodeRepositoryModelRequest(bytes).modelName, cancellationOf(call));
      return { body: new Uint8Array(0) };
    },
    RepositoryModelUnload: async (bytes) => {
      await repository.unload(decodeRepositoryModelRequest(bytes).modelName);
      return { body: new Uint8Array(0) };
    },
  };
}

interface Methods {
  definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>>;
  implementation: grpc.UntypedServiceImplementation;
}

function unaryMethods(
  name: string,
  handlers: Record<string, UnaryHandler>,
  options: { log: Logger; observer: CallObserver },
): Methods {
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [rpc, handler] of Object.entries(handlers)) {
    definition[rpc] = rawMethod(name, rpc, { request: false, response: false });
    implementation[rpc] = unary(rpc, handler, options.log, options.observer);
  }
  return { definition, implementation };
}

function observerOf(service: string, deps: GrpcDeps): CallObserver {
  return {
    service,
    metrics: deps.metrics,
    tracer: deps.tracer,
    access: deps.logger.child("access"),
  };
}

/** `inference.GRPCInferenceService`. */
export function inferenceService(deps: GrpcDeps): GrpcService {
  const { dataplane, repository, logger } = deps;
  const name = "inference.GRPCInferenceService";
  const log = logger.child("grpc");
  const observer = observerOf(name, deps);
  const handlers = {
    ...inferenceHandlers(dataplane),
    ...repositoryHandlers(repository),
  };
  const { definition, implementation } = unaryMethods(name, handlers, { log, observer });
  definition.ModelStreamInfer = rawMethod(name, "ModelStreamInfer", {
    request: true,
    response: true,
  });
  implementation.ModelStreamInfer = streamInfer(dataplane, { log, observer });
  return { definition: definition as grpc.ServiceDefinition, implementation };
}

/** `inference.model_repository.ModelRepositoryService` (ModelMesh adapters up to v0.10). */
export function modelRepositoryService(deps: GrpcDeps): GrpcService {
  const name = "inference.model_repository.ModelRepositoryService";
  const { definition, implementation } = unaryMethods(name, repositoryHandlers(deps.repository), {
    log: deps.logger.child("grpc"),
    observer: observerOf(name, deps),
  });
  return { definition: definition as grpc.ServiceDefinition, implementation };
}
